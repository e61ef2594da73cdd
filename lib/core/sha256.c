// SPDX-License-Identifier: GPL-2.0-or-later
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "undo.h"
#include "util.h"

#define CHUNK (1u << 20)

static void to_hex(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Stream path through the digests (each NULL-able); *size the bytes read. */
static int digest_file(const char *path, EVP_MD_CTX *a, EVP_MD_CTX *b, uint64_t *size, struct ib_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open %s", path);
	_cleanup_free_ uint8_t *buf = ib_xcalloc(1, CHUNK);
	uint64_t total = 0;
	for (;;) {
		if (ib_interrupted())
			return ib_fail_interrupted(err, "hashing");
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ib_fail_errno(err, -errno, "cannot read %s", path);
		if (n == 0)
			break;
		EVP_DigestUpdate(a, buf, (size_t)n);
		if (b)
			EVP_DigestUpdate(b, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (size)
		*size = total;
	return 0;
}

int ib_file_digests(const char *path, char sha256[65], char sha1[41], struct ib_error *err)
{
	EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
	EVP_DigestInit_ex(a, EVP_sha256(), NULL);
	EVP_DigestInit_ex(b, EVP_sha1(), NULL);
	int r = digest_file(path, a, b, NULL, err);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(a, md, &len);
	to_hex(md, 32, sha256);
	EVP_DigestFinal_ex(b, md, &len);
	to_hex(md, 20, sha1);
	EVP_MD_CTX_free(a);
	EVP_MD_CTX_free(b);
	return r;
}

int ib_sha256_file(const char *path, char hex[65], uint64_t *size, struct ib_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return ib_fail(err, IB_EXIT_FAIL, "libcrypto: cannot start a SHA-256");
	}
	int r = digest_file(path, ctx, NULL, size, err);
	unsigned char md[32];
	unsigned len = 0;
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	if (r == 0)
		to_hex(md, 32, hex);
	return r;
}

static char *cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg && *xdg == '/')
		return ib_xasprintf("%s/imgbuild/sha256", xdg);
	if (home && *home == '/')
		return ib_xasprintf("%s/.cache/imgbuild/sha256", home);
	return NULL;
}

/* What the cache keeps beside the hash: the inode's state. */
static char *stamp_of(const struct stat *st)
{
	return ib_xasprintf("%" PRIu64 " %lld.%09ld %lld.%09ld", (uint64_t)st->st_size, (long long)st->st_mtim.tv_sec,
			    st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

static void mkdirs(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(path, 0700);
		*s = '/';
	}
	mkdir(path, 0700);
}

int ib_sha256_file_cached(const char *path, char hex[65], struct ib_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return ib_fail_errno(err, -errno, "cannot read %s", path);
	_cleanup_free_ char *dir = cache_dir();
	_cleanup_free_ char *entry = dir ? ib_xasprintf("%s/%llx-%llx", dir, (unsigned long long)st.st_dev,
							(unsigned long long)st.st_ino)
					 : NULL;
	_cleanup_free_ char *stamp = stamp_of(&st);
	if (entry) {
		char line[256] = "";
		FILE *f = fopen(entry, "re");
		if (f) {
			if (!fgets(line, sizeof line, f))
				line[0] = 0;
			fclose(f);
		}
		size_t n = strlen(stamp);
		if (!strncmp(line, stamp, n) && line[n] == ' ' && strlen(line + n + 1) >= 64) {
			memcpy(hex, line + n + 1, 64);
			hex[64] = 0;
			return 0;
		}
	}
	if (ib_sha256_file(path, hex, NULL, err) < 0)
		return -1;
	struct stat after;
	if (!entry || stat(path, &after) < 0 || after.st_ino != st.st_ino) /* changed while read: not kept */
		return 0;
	_cleanup_free_ char *again = stamp_of(&after);
	if (strcmp(again, stamp))
		return 0;
	mkdirs(dir);
	_cleanup_free_ char *tmp = ib_xasprintf("%s.%ld.tmp", entry, (long)getpid());
	FILE *f = fopen(tmp, "we");
	if (!f)
		return 0;
	bool ok = fprintf(f, "%s %s\n", stamp, hex) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, entry) < 0)
		unlink(tmp);
	return 0;
}
