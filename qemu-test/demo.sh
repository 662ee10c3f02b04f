#!/bin/sh
# What `make run` shows: load the example profile, then let the confined program try the
# file it may read and the one it may not.
set -u
echo "== lsmctl status"
lsmctl status
echo "== lsmctl load /etc/rustlsm/demo.toml"
lsmctl load /etc/rustlsm/demo.toml || exit 1
lsmctl list
echo "== the confined program (/usr/bin/rlsm-probe) opens /etc/passwd"
rlsm-probe open /etc/passwd r; echo "   exit status $? (0 = opened)"
echo "== the confined program opens /etc/shadow"
rlsm-probe open /etc/shadow r; rc=$?; echo "   exit status $rc (13 = EACCES)"
echo "== the same binary under another path, unconfined, opens /etc/shadow"
rlsm-probe-free open /etc/shadow r; echo "   exit status $? (0 = opened)"
echo "== kernel log"
dmesg | grep 'rustlsm:' | tail -3
[ "$rc" = 13 ]
