// SPDX-License-Identifier: GPL-2.0-or-later
/* The first-boot runner and its installation (see firstboot.h). Scripts are
 * built with '\n' and written with CRLF: cmd.exe misparses labels and
 * blocks in LF-only batch files. */
#include "firstboot.h"
#include "guesttools.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>

#define FB_WIN "%SystemRoot%\\" IB_WIN_FB_DIR
#define FB_WIN_FMT "%%SystemRoot%%\\" IB_WIN_FB_DIR

static int write_crlf(const char *path, const char *text, struct ib_error *err)
{
	struct ib_buf b = {0};
	for (const char *p = text; *p; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			ib_buf_append(&b, "\r", 1);
		ib_buf_append(&b, p, 1);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = fd < 0 ? -errno : ib_pwrite_all(fd, b.s ? b.s : "", b.len, 0);
	if (fd >= 0 && close(fd) < 0 && !r)
		r = -errno;
	ib_buf_free(&b);
	return r < 0 ? ib_fail_errno(err, r, "cannot write %s", path) : 0;
}

static const char runner[] =
	"@echo off\n"
	"rem imgbuild first-boot runner (generated). Runs every script in steps\\ in\n"
	"rem name order until it succeeds, at most MAX attempts in all (counted in\n"
	"rem state\\), then gives it up. It never reboots the machine, so a failing\n"
	"rem step cannot cause a reboot loop. Log: log.txt beside this file.\n"
	"setlocal EnableExtensions EnableDelayedExpansion\n"
	"cd /d \"%~dp0\"\n"
	"set \"MAX=@MAX@\"\n"
	"set \"MODE=%~1\"\n"
	"if not exist state mkdir state\n"
	"call :log \"start (%MODE%)\"\n"
	"set \"PASSES=%MAX%\"\n"
	"if /i \"%MODE%\"==\"service\" set \"PASSES=1\"\n"
	"for /l %%P in (1,1,%PASSES%) do (\n"
	"  set \"PENDING=0\"\n"
	"  for %%S in (steps\\*.cmd) do call :run \"%%~nS\"\n"
	"  if \"!PENDING!\"==\"0\" goto :finish\n"
	"  if %%P LSS %PASSES% ping -n 11 127.0.0.1 >nul\n"
	")\n"
	":finish\n"
	"set \"PENDING=0\"\n"
	"for %%S in (steps\\*.cmd) do if not exist \"state\\%%~nS.done\" if not exist \"state\\%%~nS.failed\" set \"PENDING=1\"\n"
	"if \"%PENDING%\"==\"0\" (\n"
	"  call :log \"all steps finished\"\n"
	"  >complete echo done\n"
	"  if /i \"%MODE%\"==\"service\" sc.exe config " IB_WIN_FB_SERVICE_NAME " start= disabled >>log.txt 2>&1\n"
	")\n"
	"call :log \"end\"\n"
	"exit /b 0\n"
	"\n"
	":run\n"
	"if exist \"state\\%~1.done\" goto :eof\n"
	"if exist \"state\\%~1.failed\" goto :eof\n"
	"set \"N=0\"\n"
	"if exist \"state\\%~1.tries\" set /p N=<\"state\\%~1.tries\"\n"
	"set /a N=N+1\n"
	">\"state\\%~1.tries\" echo !N!\n"
	"call :log \"%~1: attempt !N! of %MAX%\"\n"
	"call \"steps\\%~1.cmd\" >>log.txt 2>&1\n"
	"set \"RC=!ERRORLEVEL!\"\n"
	"call :log \"%~1: exit code !RC!\"\n"
	"if \"!RC!\"==\"0\" goto :ok\n"
	"if \"!RC!\"==\"3010\" goto :ok\n"
	"if \"!RC!\"==\"1641\" goto :ok\n"
	"if !N! GEQ %MAX% (\n"
	"  >\"state\\%~1.failed\" echo !RC!\n"
	"  call :log \"%~1: giving up after !N! attempts\"\n"
	"  goto :eof\n"
	")\n"
	"set \"PENDING=1\"\n"
	"goto :eof\n"
	":ok\n"
	">\"state\\%~1.done\" echo !RC!\n"
	"goto :eof\n"
	"\n"
	":log\n"
	">>log.txt echo [%DATE% %TIME%] %~1\n"
	"goto :eof\n";

struct step {
	char *id;   /* "0100-driver-viostor" */
	char *desc; /* for the report */
	char *body; /* the step script */
};

struct steps {
	IB_VEC(struct step) list;
};

static void steps_free(struct steps *s)
{
	for (size_t i = 0; i < s->list.n; i++)
		free(s->list.v[i].id), free(s->list.v[i].desc), free(s->list.v[i].body);
	free(s->list.v);
}

/* File-name-safe form of a name. */
static char *safe_name(const char *s)
{
	char *o = ib_xstrdup(s);
	for (char *p = o; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '.'))
			*p = '_';
	return o;
}

static void add_step(struct steps *s, unsigned n, const char *kind, const char *name, char *desc, char *body)
{
	_cleanup_free_ char *safe = safe_name(name);
	struct step st = {ib_xasprintf("%04u-%s-%s", n, kind, safe), desc, body};
	IB_VEC_PUSH(s->list, st);
}

static char *host_path(const struct ib_win_spec *spec, const char *p)
{
	return p[0] == '/' || !spec->base_dir ? ib_xstrdup(p) : ib_path_join(spec->base_dir, p);
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *base_of(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

static bool ends_ci(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcasecmp(s + n - m, suf);
}

/* A named tool from an ISO: the installer for this Windows's architecture,
 * extracted into work_dir/tool-N/ and checked again. *src: its host path. */
static int tool_from_iso(const struct ib_win_spec *spec, const struct ib_win_detect *d, const struct ib_win_tool_spec *t,
			 size_t n, const char *work_dir, char **src, struct ib_error *err)
{
	const char *m = t->iso_member[d->arch];
	if (!m)
		return ib_fail_at(err, IB_EXIT_INPUT, &t->loc, "guest tool %s: %s has no installer for %s Windows",
				  t->name, t->iso, ib_win_arch_name(d->arch));
	_cleanup_free_ char *iso = host_path(spec, t->iso);
	_cleanup_free_ char *dir = ib_xasprintf("%s/tool-%zu", work_dir, n);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ib_fail_errno(err, -errno, "cannot create %s", dir);
	const char *slash = strrchr(m, '/');
	char *dst = ib_xasprintf("%s/%s", dir, slash ? slash + 1 : m);
	if (ib_win_iso_extract_file(iso, m, dst, err) < 0 ||
	    ib_win_installer_check_file(dst, (enum ib_win_installer)t->kind, err) < 0) {
		free(dst);
		return -1;
	}
	*src = dst;
	return 0;
}

static int build_steps(const struct ib_win_spec *spec, const struct ib_win_detect *d, const struct ib_win_pkgs *pkgs,
		       const char *fb_vol, const char *work_dir, struct ib_win_files *files, struct steps *out,
		       struct ib_error *err)
{
	/* pnputil /add-driver ... /install exists from Windows 10 1607 (build
	 * 14393); earlier builds (10240, 10586, 6.x) only know -i -a. */
	bool new_pnputil = d->ver.major >= 10 && d->ver.build >= 14393;
	for (size_t i = 0; i < pkgs->pnp.n; i++) {
		const struct ib_win_pnp_inf *p = &pkgs->pnp.v[i];
		/* After a successful install the placeholder binding goes. */
		struct ib_buf cleanup = {0};
		if (p->boot_placeholder) {
			ib_buf_puts(&cleanup, "rem The real package is installed: remove the offline placeholder binding.\n");
			for (size_t k = 0; k < p->cleanup.n; k++)
				ib_buf_printf(&cleanup, "%s >nul 2>&1\n", p->cleanup.v[k]);
		}
		char *body = ib_xasprintf(
			"@echo off\n"
			"rem Install the staged driver package %s with pnputil.\n"
			"set \"PNPUTIL=%%SystemRoot%%\\System32\\pnputil.exe\"\n"
			"if exist \"%%SystemRoot%%\\Sysnative\\pnputil.exe\" set \"PNPUTIL=%%SystemRoot%%\\Sysnative\\pnputil.exe\"\n"
			"\"%%PNPUTIL%%\" %s \"%s\"%s\n"
			"set \"RC=%%ERRORLEVEL%%\"\n"
			"rem 0: installed; 259: no better driver or no device yet (it stays in the\n"
			"rem driver store); 3010: installed, a reboot is pending. Anything else fails.\n"
			"if \"%%RC%%\"==\"259\" set \"RC=0\"\n"
			"if not \"%%RC%%\"==\"0\" if not \"%%RC%%\"==\"3010\" exit /b %%RC%%\n"
			"%s"
			"exit /b %%RC%%\n",
			p->name, new_pnputil ? "/add-driver" : "-i -a", p->inf_win, new_pnputil ? " /install" : "",
			cleanup.s ? cleanup.s : "");
		ib_buf_free(&cleanup);
		add_step(out, 100 + (unsigned)i, "driver", p->name,
			 ib_xasprintf("pnputil %s %s%s%s", new_pnputil ? "/add-driver" : "-i -a", p->inf_win,
				      new_pnputil ? " /install" : "",
				      p->boot_placeholder ? ", then the placeholder binding is removed" : ""),
			 body);
	}
	for (size_t i = 0; i < spec->n_guest_tools; i++) {
		const struct ib_win_tool_spec *t = &spec->guest_tools[i];
		_cleanup_free_ char *src = NULL;
		if (t->iso) {
			if (tool_from_iso(spec, d, t, i, work_dir, &src, err) < 0)
				return -1;
		} else if (t->src) {
			src = host_path(spec, t->src);
		}
		if (!src) /* the planner gives every tool a source */
			return ib_fail_at(err, IB_EXIT_INPUT, &t->loc, "guest tool without an installer");
		if (!is_file(src))
			return ib_fail_at(err, IB_EXIT_INPUT, &t->loc, "guest tool %s: no such file", src);
		const char *name = base_of(src);
		_cleanup_free_ char *dst = ib_xasprintf("%s/tools/%s", fb_vol, name);
		ib_win_files_add(files, src, dst, false);
		const char *args = t->args ? t->args : "";
		_cleanup_free_ char *file = ib_xasprintf(FB_WIN_FMT "\\tools\\%s", name);
		char *cmd = ends_ci(name, ".msi")   ? ib_xasprintf("msiexec.exe /i \"%s\" %s", file, args)
			    : ends_ci(name, ".ps1") ? ib_xasprintf("powershell.exe -NoProfile -ExecutionPolicy Bypass -File \"%s\" %s",
								   file, args)
			    : ends_ci(name, ".cmd") || ends_ci(name, ".bat") ? ib_xasprintf("call \"%s\" %s", file, args)
									      : ib_xasprintf("\"%s\" %s", file, args);
		char *body = ib_xasprintf("@echo off\nrem Guest tool %s.\n%s\nexit /b %%ERRORLEVEL%%\n", name, cmd);
		add_step(out, 200 + (unsigned)i, "tool", name, cmd, body);
	}
	for (size_t i = 0; i < spec->n_first_boot; i++) {
		char *body = ib_xasprintf("@echo off\nrem first_boot command %zu of the recipe.\n%s\nexit /b %%ERRORLEVEL%%\n",
					  i + 1, spec->first_boot[i]);
		_cleanup_free_ char *name = ib_xasprintf("command%zu", i + 1);
		add_step(out, 300 + (unsigned)i, "cmd", name, ib_xstrdup(spec->first_boot[i]), body);
	}
	return 0;
}

/* The first boot-critical driver whose placeholder binding needs pnputil at
 * first boot, or NULL. */
static const char *boot_placeholder(const struct ib_win_pkgs *pkgs)
{
	for (size_t i = 0; i < pkgs->pnp.n; i++)
		if (pkgs->pnp.v[i].boot_placeholder)
			return pkgs->pnp.v[i].name;
	return NULL;
}

/* A boot driver on a placeholder with nothing to run pnputil: Windows would
 * boot on the placeholder forever. */
static int refuse_placeholder(const char *drv, const struct ib_win_detect *d, const char *why, struct ib_error *err)
{
	return ib_fail(err, IB_EXIT_INPUT,
		       "boot-critical driver %s is bound offline through a placeholder driver package, which pnputil "
		       "must replace with the real package at first boot, but nothing would run it: %s (%s). Give "
		       "first_boot_mechanism: service with a service_wrapper (rhsrvany.exe or pvvxsvc.exe), or "
		       "first_boot_mechanism: runonce (runs at the first administrator logon)",
		       drv, why, d->setup_reason);
}

/* Which mechanism runs the steps; NULL-safe strings for the report. */
static int choose(const struct ib_win_spec *spec, const struct ib_win_detect *d, const struct ib_win_pkgs *pkgs,
		  bool only_drivers, enum ib_win_fb_mech *m, struct ib_win_report *rep, struct ib_error *err)
{
	const char *placeholder = boot_placeholder(pkgs);
	*m = spec->first_boot_mechanism;
	if (*m == IB_WIN_FB_AUTO) {
		if (d->setup_pending)
			*m = IB_WIN_FB_SETUPCOMPLETE;
		else if (spec->service_wrapper)
			*m = IB_WIN_FB_SERVICE;
		else if (only_drivers && placeholder)
			return refuse_placeholder(placeholder, d,
						  "the image is installed, so SetupComplete.cmd never runs, and no "
						  "service_wrapper is given",
						  err);
		else if (only_drivers) {
			IB_VEC_PUSH(rep->warnings,
				    ib_xasprintf("the image is already installed (%s) and no service wrapper is given: the "
						 "non-boot drivers are only staged (DevicePath); Plug and Play installs them "
						 "when it finds their devices, without pnputil",
						 d->setup_reason));
			return 1;
		} else
			return ib_fail(err, IB_EXIT_INPUT,
				       "first-boot actions need a mechanism: the image is already installed (%s), so "
				       "SetupComplete.cmd would never run; give first_boot_mechanism: service with a "
				       "service_wrapper (rhsrvany.exe-style), or runonce",
				       d->setup_reason);
	}
	if (*m == IB_WIN_FB_SETUPCOMPLETE && !d->setup_pending) {
		if (placeholder)
			return refuse_placeholder(placeholder, d,
						  "first_boot_mechanism is setupcomplete and the image is installed, so "
						  "SetupComplete.cmd never runs",
						  err);
		IB_VEC_PUSH(rep->warnings,
			    ib_xasprintf("SetupComplete.cmd runs only at the end of Windows Setup, and this image is "
					 "installed (%s): it will not run unless the image is generalized (sysprep)",
					 d->setup_reason));
	}
	if (*m == IB_WIN_FB_SERVICE && !spec->service_wrapper)
		return ib_fail(err, IB_EXIT_INPUT,
			       "first_boot_mechanism service needs service_wrapper (a srvany-style binary such as "
			       "rhsrvany.exe)");
	if (*m == IB_WIN_FB_RUNONCE)
		IB_VEC_PUSH(rep->warnings,
			    ib_xstrdup("RunOnce runs only when someone logs on interactively, in that user's context "
				       "(it needs an administrator); headless machines may never run it"));
	return 0;
}

static int setupcomplete(struct ib_ntfs_files *f, const struct ib_win_detect *d, const char *work_dir,
			 struct ib_win_files *files, struct ib_error *err)
{
	static const char call[] = "call \"" FB_WIN "\\firstboot.cmd\" setupcomplete";
	_cleanup_free_ char *vol = ib_xasprintf("%s/Setup/Scripts/SetupComplete.cmd", d->root);
	_cleanup_free_ char *host = ib_xasprintf("%s/SetupComplete.cmd", work_dir);
	_cleanup_free_ char *real = NULL;
	bool dir = false;
	int r = ib_ntfs_files_resolve(f, vol, &real, &dir, err);
	if (r < 0)
		return -1;
	struct ib_buf text = {0};
	if (r == 1 && !dir) {
		/* Keep the image's own script and call ours after it. */
		if (ib_ntfs_files_read(f, real, host, NULL, err) < 0)
			return -1;
		/* The image's own script is kept and ours appended: a failed or
		 * short read would drop its commands, so it fails the build. */
		int fd = open(host, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ib_fail_errno(err, -errno, "cannot read the image's %s (copied to %s)", vol, host);
		char buf[4096];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				ib_buf_append(&text, buf, (size_t)n);
		int e = errno;
		struct stat st;
		bool whole = n == 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size == text.len;
		close(fd);
		if (!whole) {
			ib_buf_free(&text);
			return n < 0 ? ib_fail_errno(err, -e, "cannot read the image's %s (copied to %s)", vol, host)
				     : ib_fail(err, IB_EXIT_FAIL, "the image's %s was read short (copied to %s)", vol, host);
		}
		if (text.s && strstr(text.s, IB_WIN_FB_DIR "\\firstboot.cmd")) {
			ib_buf_free(&text);
			return 0;
		}
		if (text.len && text.s[text.len - 1] != '\n')
			ib_buf_puts(&text, "\r\n");
		ib_buf_printf(&text, "rem added by imgbuild\r\n%s\r\n", call);
	} else {
		ib_buf_printf(&text, "@echo off\nrem generated by imgbuild: runs once at the end of Windows Setup\n%s\n",
			      call);
	}
	int rc = write_crlf(host, text.s, err);
	ib_buf_free(&text);
	if (!rc)
		ib_win_files_add(files, host, real && !dir ? real : vol, true);
	return rc;
}

/* What a srvany-style wrapper (rhsrvany, pvvxsvc) runs: Parameters\CommandLine
 * and Parameters\PWD, the working directory; it starts nothing unless it can
 * read both. Both are literal paths: the wrapper hands them to CreateProcess,
 * which expands no %SystemRoot%. rhsrvany reads PWD into a buffer sized by
 * what CommandLine took, so PWD must be shorter than CommandLine; here
 * CommandLine names a file inside PWD, so it always is (checked anyway). */
static int service_parameters(const struct ib_win_detect *d, struct ib_reg_edits *edits, struct ib_error *err)
{
	_cleanup_free_ char *pwd = ib_xasprintf("%s\\%s", d->system_root_win, IB_WIN_FB_DIR);
	_cleanup_free_ char *cmd = ib_xasprintf("cmd.exe /c \"%s\\firstboot.cmd\" service", pwd);
	if (ib_win_srvany_check(cmd, pwd, err) < 0)
		return -1;
	const char *key = "CurrentControlSet\\Services\\" IB_WIN_FB_SERVICE_NAME "\\Parameters";
	if (ib_reg_edits_set_sz(edits, "SYSTEM", key, "CommandLine", cmd, err) < 0)
		return -1;
	return ib_reg_edits_set_sz(edits, "SYSTEM", key, "PWD", pwd, err);
}

int ib_win_srvany_check(const char *command_line, const char *pwd, struct ib_error *err)
{
	size_t c = ib_utf16_units(command_line), p = ib_utf16_units(pwd);
	if (!c || !p || p >= c)
		return ib_fail(err, IB_EXIT_INPUT,
			       "service wrapper: PWD \"%s\" (%zu UTF-16 units) must be shorter than CommandLine \"%s\" "
			       "(%zu): rhsrvany reads PWD with the buffer size CommandLine left, and starts nothing "
			       "otherwise",
			       pwd, p, command_line, c);
	return 0;
}

/* Write the runner and the step scripts, then install the mechanism m. */
static int install(const struct ib_win_spec *spec, const struct ib_win_detect *d, const struct steps *steps,
		   enum ib_win_fb_mech m, struct ib_ntfs_files *f, const char *work_dir, const char *fb_vol,
		   struct ib_win_files *files, struct ib_reg_edits *edits, struct ib_win_report *rep,
		   struct ib_error *err)
{
	_cleanup_free_ char *fb_host = ib_xasprintf("%s/firstboot", work_dir);
	_cleanup_free_ char *steps_host = ib_xasprintf("%s/steps", fb_host);
	if ((mkdir(fb_host, 0700) < 0 && errno != EEXIST) || (mkdir(steps_host, 0700) < 0 && errno != EEXIST))
		return ib_fail_errno(err, -errno, "cannot create %s", steps_host);
	/* The runner with MAX filled in. */
	struct ib_buf tb = {0};
	const char *at = strstr(runner, "@MAX@");
	ib_buf_append(&tb, runner, (size_t)(at - runner));
	ib_buf_printf(&tb, "%u%s", spec->max_attempts ? spec->max_attempts : 3, at + 5);
	_cleanup_free_ char *text = ib_buf_steal(&tb);
	_cleanup_free_ char *runner_host = ib_xasprintf("%s/firstboot.cmd", fb_host);
	_cleanup_free_ char *runner_vol = ib_xasprintf("%s/firstboot.cmd", fb_vol);
	if (write_crlf(runner_host, text, err) < 0)
		return -1;
	ib_win_files_add(files, runner_host, runner_vol, true);
	for (size_t i = 0; i < steps->list.n; i++) {
		const struct step *s = &steps->list.v[i];
		_cleanup_free_ char *h = ib_xasprintf("%s/%s.cmd", steps_host, s->id);
		_cleanup_free_ char *v = ib_xasprintf("%s/steps/%s.cmd", fb_vol, s->id);
		if (write_crlf(h, s->body, err) < 0)
			return -1;
		ib_win_files_add(files, h, v, true);
		IB_VEC_PUSH(rep->first_boot, ib_xasprintf("%s: %s", s->id, s->desc));
	}

	if (m == IB_WIN_FB_SETUPCOMPLETE) {
		rep->mechanism = "setupcomplete";
		return setupcomplete(f, d, work_dir, files, err);
	}
	if (m == IB_WIN_FB_RUNONCE) {
		rep->mechanism = "runonce";
		return ib_reg_edits_set_expand_sz(edits, "SOFTWARE", "Microsoft\\Windows\\CurrentVersion\\RunOnce",
						  IB_WIN_FB_SERVICE_NAME,
						  "cmd.exe /c \"" FB_WIN "\\firstboot.cmd\" runonce", err);
	}
	rep->mechanism = "service";
	_cleanup_free_ char *wrapper = host_path(spec, spec->service_wrapper);
	if (!is_file(wrapper))
		return ib_fail(err, IB_EXIT_INPUT, "service_wrapper %s: no such file", wrapper);
	const char *wname = base_of(wrapper);
	_cleanup_free_ char *wdst = ib_xasprintf("%s/%s", fb_vol, wname);
	ib_win_files_add(files, wrapper, wdst, false);
	const char *key = "CurrentControlSet\\Services\\" IB_WIN_FB_SERVICE_NAME;
	_cleanup_free_ char *image = ib_xasprintf("\"" FB_WIN_FMT "\\%s\" -s " IB_WIN_FB_SERVICE_NAME, wname);
	ib_reg_edits_set_dword(edits, "SYSTEM", key, "Type", 0x10);
	ib_reg_edits_set_dword(edits, "SYSTEM", key, "Start", 2);
	ib_reg_edits_set_dword(edits, "SYSTEM", key, "ErrorControl", 1);
	if (ib_reg_edits_set_expand_sz(edits, "SYSTEM", key, "ImagePath", image, err) < 0 ||
	    ib_reg_edits_set_sz(edits, "SYSTEM", key, "DisplayName", "imgbuild first boot", err) < 0 ||
	    ib_reg_edits_set_sz(edits, "SYSTEM", key, "ObjectName", "LocalSystem", err) < 0)
		return -1;
	return service_parameters(d, edits, err);
}

int ib_win_firstboot_plan(const struct ib_win_spec *spec, const struct ib_win_detect *d, const struct ib_win_pkgs *pkgs,
			  struct ib_ntfs_files *f, const char *work_dir, struct ib_win_files *files,
			  struct ib_reg_edits *edits, struct ib_win_report *rep, struct ib_error *err)
{
	rep->mechanism = "none";
	_cleanup_free_ char *fb_vol = ib_win_volume_path(d->root, FB_WIN);
	struct steps steps = {0};
	int rc = build_steps(spec, d, pkgs, fb_vol, work_dir, files, &steps, err);
	if (!rc && steps.list.n) {
		enum ib_win_fb_mech m;
		rc = choose(spec, d, pkgs, !spec->n_guest_tools && !spec->n_first_boot, &m, rep, err);
		if (rc == 0)
			rc = install(spec, d, &steps, m, f, work_dir, fb_vol, files, edits, rep, err);
		else if (rc > 0)
			rc = 0; /* nothing can run them: staged only (warned) */
	}
	steps_free(&steps);
	return rc;
}
