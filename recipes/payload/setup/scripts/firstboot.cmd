@echo off
rem Sample first-boot script: prints where it ran from.
echo imgbuild example: running from %~dp0
