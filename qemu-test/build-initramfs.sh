#!/usr/bin/env bash
# Builds the base initramfs of the test VM: busybox, /init, static lsmctl and the guest test
# programs, the lsm kselftests, the example profile and a few files to protect.
# Output: $RUSTLSM_CACHE/initramfs.cpio (rebuilt only when an input is newer).
. "$(dirname "$0")/../scripts/lib.sh"

MUSL=x86_64-unknown-linux-musl
STAGE=$RUSTLSM_CACHE/initramfs
OUT=$RUSTLSM_CACHE/initramfs.cpio
KSELFTESTS=$RUSTLSM_CACHE/kselftests

(cd "$REPO_ROOT" && cargo build -q --release --target $MUSL -p lsmctl -p rlsm-guest)
"$REPO_ROOT/scripts/build-kselftests.sh"

bin=$REPO_ROOT/target/$MUSL/release
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc/rustlsm,proc,sys,dev,tmp,root,kselftests/lsm,kselftests/landlock}
cp /bin/busybox "$STAGE/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ -e "$STAGE/bin/$applet" ] || ln -s busybox "$STAGE/bin/$applet"
done
install -m 0755 "$REPO_ROOT/qemu-test/init" "$STAGE/init"
install -m 0755 "$bin/lsmctl" "$bin/rlsm-probe" "$bin/rlsm-guest-tests" "$bin/rlsm-bench" \
  "$bin/rlsm-race" "$STAGE/usr/bin/"
install -m 0755 "$bin/rlsm-bench" "$STAGE/usr/bin/rlsm-bench-10"
install -m 0755 "$bin/rlsm-bench" "$STAGE/usr/bin/rlsm-bench-10k"
install -m 0755 "$bin/rlsm-probe" "$STAGE/bin/rlsm-probe-free"
install -m 0755 "$bin/rlsm-probe" "$STAGE/usr/bin/rlsm-probe-fs"
install -m 0755 "$bin/rlsm-probe" "$STAGE/usr/bin/rlsm-probe-task"
install -m 0755 "$bin/rlsm-probe" "$STAGE/usr/bin/rlsm-probe-peer"
install -m 0755 "$bin/rlsm-probe" "$STAGE/usr/bin/rlsm-probe-launch"
install -m 0755 "$bin/rlsm-probe" "$STAGE/usr/bin/rlsm-probe-net"
install -m 0755 "$bin/rlsm-probe" "$STAGE/usr/bin/rlsm-probe-boot"
install -m 0755 "$bin/rlsm-probe" "$STAGE/usr/bin/rlsm-probe-proc"
install -m 0755 "$KSELFTESTS"/lsm/*_test "$STAGE/kselftests/lsm/"
# The landlock tests exec these helpers from their own directory.
install -m 0755 "$KSELFTESTS"/landlock/*_test "$STAGE/kselftests/landlock/"
for helper in true sandbox-and-launch wait-pipe wait-pipe-sandbox; do
  [ ! -f "$KSELFTESTS/landlock/$helper" ] || install -m 0755 "$KSELFTESTS/landlock/$helper" "$STAGE/kselftests/landlock/"
done
install -m 0644 "$REPO_ROOT/examples/demo.toml" "$STAGE/etc/rustlsm/demo.toml"
install -m 0755 "$REPO_ROOT/qemu-test/demo.sh" "$STAGE/etc/rustlsm/demo.sh"
install -m 0755 "$REPO_ROOT/qemu-test/stacking.sh" "$STAGE/etc/rustlsm/stacking.sh"
install -m 0644 "$REPO_ROOT/qemu-test/allow-all.toml" "$STAGE/etc/rustlsm/allow-all.toml"
printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$STAGE/etc/passwd"
printf 'root:x:0:\nadm:x:4:\nwww-data:x:33:\nnogroup:x:65534:\n' > "$STAGE/etc/group"
printf 'root:$6$not-a-real-hash:19000:0:99999:7:::\n' > "$STAGE/etc/shadow"
chmod 0600 "$STAGE/etc/shadow"
echo "top secret" > "$STAGE/root/secret"
# Guest cases in programs.rs: a dynamically linked program (Debian's coreutils cat, renamed so
# that it shadows no busybox applet) with exactly the libraries ldd lists, each a regular file
# at the path ldd names (the loader at its PT_INTERP path), so that profile rules name them.
# Debian's getent (programs/abstractions.rs) comes the same way.
install -m 0755 /usr/bin/cat "$STAGE/usr/bin/rlsm-dyn-cat"
install -m 0755 /usr/bin/getent "$STAGE/usr/bin/getent"
# A Debian daemon (programs/shipped.rs): lighttpd from Debian's package, with its modules
# and its default configuration. That configuration runs Perl scripts (include_shell), so
# this machine's perl (Essential in Debian) comes too with its base modules, and
# /etc/mime.types from media-types (which lighttpd depends on).
unpack_deb lighttpd "$RUSTLSM_CACHE/debs/lighttpd"
unpack_deb media-types "$RUSTLSM_CACHE/debs/media-types"
lighttpd=$RUSTLSM_CACHE/debs/lighttpd
cp -a "$lighttpd/etc/lighttpd" "$STAGE/etc/"
install -m 0755 "$lighttpd/usr/sbin/lighttpd" "$STAGE/usr/sbin/lighttpd"
mkdir -p "$STAGE/usr/lib/lighttpd" "$STAGE/usr/share/lighttpd" "$STAGE/usr/lib/x86_64-linux-gnu"
cp -a "$lighttpd/usr/lib/lighttpd/." "$STAGE/usr/lib/lighttpd/"
cp -a "$lighttpd/usr/share/lighttpd/." "$STAGE/usr/share/lighttpd/"
install -m 0644 "$RUSTLSM_CACHE/debs/media-types/etc/mime.types" "$STAGE/etc/mime.types"
install -m 0755 /usr/bin/perl "$STAGE/usr/bin/perl"
cp -a /usr/lib/x86_64-linux-gnu/perl-base "$STAGE/usr/lib/x86_64-linux-gnu/"
dynamic=(/usr/bin/cat /usr/bin/getent /usr/bin/perl "$lighttpd/usr/sbin/lighttpd"
  "$lighttpd"/usr/lib/lighttpd/*.so /usr/lib/x86_64-linux-gnu/perl-base/auto/*/*.so)
for lib in $(ldd "${dynamic[@]}" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' | sort -u); do
  install -D -m 0755 "$(readlink -f "$lib")" "$STAGE$lib"
done
# The abstractions library, where lsmctl looks for it.
mkdir -p "$STAGE/usr/share/rustlsm/abstractions"
install -m 0644 "$REPO_ROOT"/profiles/abstractions/*.toml "$STAGE/usr/share/rustlsm/abstractions/"
# The profiles lsmctl ships for programs (programs/shipped.rs loads them as they are).
mkdir -p "$STAGE/usr/share/rustlsm/profiles"
install -m 0644 "$REPO_ROOT"/profiles/programs/*.toml "$STAGE/usr/share/rustlsm/profiles/"
# The escape suite (rlsm-guest-tests escapes/): one probe per profile it loads, as hard
# links (a profile attaches by path; links cost no space), and an empty ext4 image that the
# suite mounts on a loop device (ext4 keeps negative dentries, tmpfs does not).
for p in unix unixpeer unixopen net net6 sctp create rename sig sigok fd fdrecv chroot \
  append setid mnt mntok tree treeok mq ioctl console kill quote cache; do
  ln -f "$STAGE/usr/bin/rlsm-probe" "$STAGE/usr/bin/rlsm-probe-esc-$p"
done
mkdir -p "$STAGE/images"
truncate -s 4M "$STAGE/images/ext4.img"
PATH=$PATH:/usr/sbin:/sbin mkfs.ext4 -q -F "$STAGE/images/ext4.img"
(cd "$STAGE" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "initramfs: $OUT ($(du -h "$OUT" | cut -f1))"
