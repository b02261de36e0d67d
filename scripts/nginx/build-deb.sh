#!/usr/bin/env bash
# Packages a module built by build-for-system.sh as a Debian package shaped like
# Debian's own libnginx-mod-* packages (dpkg-deb only; no debhelper needed):
#
#   /usr/lib/nginx/modules/ngx_http_misp_guard_module.so
#   /usr/share/nginx/modules-available/mod-http-misp-guard.conf   (load_module …)
#   /etc/nginx/modules-enabled/50-mod-http-misp-guard.conf        (link, made by postinst)
#   /usr/share/doc/libnginx-mod-http-misp-guard/                  README, docs, examples
#
#   scripts/nginx/build-deb.sh --module SO [--nginx BIN] [--out DIR]
#
# Depends on the nginx ABI the module was built for: `nginx-abi-X` as Debian's nginx
# provides it (read from nginx-dev's libnginx-mod.abisubstvars), else `nginx (= VERSION)`
# of the distribution package that owns BIN. Prints `deb: PATH`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

module= nginx_bin=/usr/sbin/nginx out_dir=
while [ $# -gt 0 ]; do
    case "$1" in
        --module) module=$2; shift 2 ;;
        --nginx) nginx_bin=$2; shift 2 ;;
        --out) out_dir=$2; shift 2 ;;
        *) echo "usage: $0 --module SO [--nginx BIN] [--out DIR]" >&2; exit 2 ;;
    esac
done
[ -f "$module" ] || { echo "no module at '$module' (build-for-system.sh prints it)" >&2; exit 1; }
out_dir=${out_dir:-$ROOT/nginx-module/target/system}

pkg=libnginx-mod-http-misp-guard
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/nginx-module/Cargo.toml" | head -n1)
nginx_version=$("$nginx_bin" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
arch=$(dpkg --print-architecture)
abi=$(sed -n 's/^nginx:abi=//p' /usr/share/nginx/src/debian/libnginx-mod.abisubstvars 2>/dev/null || true)
if [ -n "$abi" ]; then
    nginx_dep=$abi
else
    owner=$(dpkg -S "$nginx_bin" 2>/dev/null | cut -d: -f1 | head -n1 || true)
    if [ -n "$owner" ]; then
        nginx_dep="$owner (= $(dpkg-query -W -f '${Version}' "$owner"))"
    else
        nginx_dep=
        log "warning: $nginx_bin belongs to no package: no nginx dependency recorded"
    fi
fi

stage="$out_dir/deb/${pkg}_${version}"
rm -rf "$stage"
doc="$stage/usr/share/doc/$pkg"
install -d "$stage/DEBIAN" "$stage/usr/lib/nginx/modules" \
    "$stage/usr/share/nginx/modules-available" "$doc/examples"
install -m 0644 "$module" "$stage/usr/lib/nginx/modules/ngx_http_misp_guard_module.so"
strip --strip-unneeded "$stage/usr/lib/nginx/modules/ngx_http_misp_guard_module.so"
# An absolute path: right whatever prefix nginx runs with (-p).
echo "load_module /usr/lib/nginx/modules/ngx_http_misp_guard_module.so;" \
    >"$stage/usr/share/nginx/modules-available/mod-http-misp-guard.conf"

install -m 0644 "$ROOT/nginx-module/README.md" "$doc/README.md"
install -m 0644 "$ROOT/nginx-module/examples/config.json" "$doc/examples/config.json"
if [ -d "$ROOT/docs" ]; then
    install -d "$doc/docs"
    install -m 0644 "$ROOT"/docs/*.md "$doc/docs/"
fi
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: misp-guard-rs (ngx-http-misp-guard)

Files: *
License: AGPL-3.0-only
 On Debian systems the GNU Affero General Public License version 3 is available at
 https://www.gnu.org/licenses/agpl-3.0.txt
EOF
gzip -9n -c >"$doc/changelog.gz" <<EOF
$pkg ($version) unstable; urgency=medium

  * Built from the misp-guard-rs tree for nginx $nginx_version.

 -- misp-guard-rs <noreply@example.invalid>  $(date -R -u -d @"${SOURCE_DATE_EPOCH:-0}")
EOF

cat >"$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
# As Debian's libnginx-mod-* packages: enable on a fresh install (or after a remove),
# keep the administrator's choice on upgrades, then let nginx reload.
link=/etc/nginx/modules-enabled/50-mod-http-misp-guard.conf
if [ "$1" = configure ]; then
    if [ -L "$link.removed" ]; then
        rm -f "$link.removed"
        removed=true
    else
        removed=false
    fi
    if [ -z "$2" ] || [ "$removed" = true ]; then
        mkdir -p /etc/nginx/modules-enabled
        ln -sf /usr/share/nginx/modules-available/mod-http-misp-guard.conf "$link"
    fi
    if command -v dpkg-trigger >/dev/null 2>&1; then
        dpkg-trigger --no-await nginx-reload || true
    fi
fi
EOF
cat >"$stage/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
link=/etc/nginx/modules-enabled/50-mod-http-misp-guard.conf
case "$1" in
    remove)
        # keep the administrator's choice for a reinstall, but stop loading the module
        if [ -L "$link" ]; then mv "$link" "$link.removed"; fi ;;
    purge)
        rm -f "$link" "$link.removed" ;;
esac
EOF
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
{
    echo "Package: $pkg"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: misp-guard-rs <noreply@example.invalid>"
    echo "Installed-Size: $size"
    echo "Depends: libc6, libgcc-s1${nginx_dep:+, $nginx_dep}"
    echo "Section: httpd"
    echo "Priority: optional"
    echo "Description: misp-guard for nginx: MISP sync filtering in the web server"
    echo " An nginx dynamic module enforcing misp-guard's rules on MISP synchronisation"
    echo " traffic: pulls (ingress) and pushes (egress), bodies inspected as they stream."
    echo " Built for nginx $nginx_version."
} >"$stage/DEBIAN/control"

deb="$out_dir/${pkg}_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "deb: $deb"
