#!/bin/sh
# Builds tests/testdata/debian-bookworm/: the configuration files of Debian 12
# packages as their maintainer scripts leave them on a fresh install, taken
# from the real .deb files (apt-get download + dpkg-deb -x, nothing installed).
# Run from this folder: ./make-debian-root.sh /path/to/debs-folder
# Only the small files the audit reads are kept; PROVENANCE.md says where each
# comes from. Regenerate only on purpose and review the diff.
set -eu
DEBS=$1
OUT=debian-bookworm
X=$(mktemp -d)
for d in "$DEBS"/*.deb; do dpkg-deb -x "$d" "$X"; done
rm -rf "$OUT"; mkdir -p "$OUT"
cp_rel() { mkdir -p "$OUT/$(dirname "$2")"; cp "$X/$1" "$OUT/$2"; }
# Roundcube (roundcube-core): the version constant, the config folder; the
# postinst writes config.inc.php from config.inc.php.sample with a random des_key.
cp_rel usr/share/roundcube/program/include/iniset.php usr/share/roundcube/program/include/iniset.php
for f in defaults.inc.php debian-db-roundcube.php htaccess apache.conf; do cp_rel etc/roundcube/$f etc/roundcube/$f; done
mkdir -p "$OUT/usr/share/roundcube/installer" "$OUT/var/lib/roundcube/public_html" "$OUT/var/lib/roundcube/temp" "$OUT/var/log/roundcube"
: > "$OUT/usr/share/roundcube/installer/index.php"
ln -s /etc/roundcube "$OUT/var/lib/roundcube/config"
ln -s /usr/share/roundcube/program "$OUT/var/lib/roundcube/program"
ln -s ../../log/roundcube "$OUT/var/lib/roundcube/logs"
ln -s /etc/roundcube/htaccess "$OUT/var/lib/roundcube/.htaccess"
sed "s|^\\\$config\\['des_key'\\] = .*|\$config['des_key'] = 'q0ZKwWQ1nB2fR8sVt7mXyA3d';|" "$X/usr/share/roundcube/config.inc.php.sample" > "$OUT/etc/roundcube/config.inc.php"
# roundcube-plugins: the managesieve plugin's shipped settings.
cp_rel usr/share/roundcube/plugins/managesieve/config.inc.php.dist usr/share/roundcube/plugins/managesieve/config.inc.php.dist
cp_rel etc/roundcube/plugins/managesieve/config.inc.php etc/roundcube/plugins/managesieve/config.inc.php
ln -s /etc/roundcube/plugins/managesieve/config.inc.php "$OUT/usr/share/roundcube/plugins/managesieve/config.inc.php"
# Dovecot (dovecot-core): postinst copies /usr/share/dovecot to /etc/dovecot.
mkdir -p "$OUT/etc/dovecot/conf.d"
cp "$X/usr/share/dovecot/dovecot.conf" "$OUT/etc/dovecot/"
cp "$X"/usr/share/dovecot/conf.d/* "$OUT/etc/dovecot/conf.d/"
# Postfix: main.cf.debian + main.cf.tls + what postinst sets for "Internet Site".
{ cat "$X/usr/share/postfix/main.cf.debian" "$X/usr/share/postfix/main.cf.tls"
  printf '%s\n' 'smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination' \
    'myhostname = mail.example.org' 'alias_maps = hash:/etc/aliases' 'alias_database = hash:/etc/aliases' \
    'myorigin = /etc/mailname' 'mydestination = $myhostname, example.org, localhost' 'relayhost =' \
    'mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128' 'mailbox_size_limit = 0' 'recipient_delimiter = +' \
    'inet_interfaces = all' 'inet_protocols = all'; } > "$OUT/etc/postfix.main.cf"
mkdir -p "$OUT/etc/postfix"; mv "$OUT/etc/postfix.main.cf" "$OUT/etc/postfix/main.cf"
cp "$X/usr/share/postfix/master.cf.dist" "$OUT/etc/postfix/master.cf"
# Exim (exim4-config): debconf's default answers, and the split configuration files read.
mkdir -p "$OUT/etc/exim4/conf.d/main" "$OUT/etc/exim4/conf.d/auth"
printf '%s\n' "dc_eximconfig_configtype='local'" "dc_local_interfaces='127.0.0.1 ; ::1'" "dc_relay_domains=''" "dc_relay_nets=''" "dc_use_split_config='false'" > "$OUT/etc/exim4/update-exim4.conf.conf"
cp "$X/etc/exim4/conf.d/main/01_exim4-config_listmacrosdefs" "$OUT/etc/exim4/conf.d/main/"
cp "$X/etc/exim4/conf.d/auth/30_exim4-config_examples" "$OUT/etc/exim4/conf.d/auth/"
# nginx (nginx-common): the default site, enabled as the package does.
mkdir -p "$OUT/etc/nginx/sites-enabled"
cp_rel etc/nginx/nginx.conf etc/nginx/nginx.conf
cp_rel etc/nginx/sites-available/default etc/nginx/sites-available/default
ln -s /etc/nginx/sites-available/default "$OUT/etc/nginx/sites-enabled/default"
mkdir -p "$OUT/var/www/html"
# PHP (php8.2-fpm): postinst installs php.ini-production as fpm/php.ini.
mkdir -p "$OUT/etc/php/8.2/fpm"
cp "$X/usr/lib/php/8.2/php.ini-production" "$OUT/etc/php/8.2/fpm/php.ini"
# fail2ban: Debian enables only sshd.
cp_rel etc/fail2ban/jail.d/defaults-debian.conf etc/fail2ban/jail.d/defaults-debian.conf
# dpkg status: one stanza per package from its control file.
mkdir -p "$OUT/var/lib/dpkg" "$OUT/etc"
for d in "$DEBS"/*.deb; do
  [ "$(dpkg-deb -f "$d" Package)" = apache2 ] && continue
  printf 'Package: %s\nStatus: install ok installed\nVersion: %s\n' "$(dpkg-deb -f "$d" Package)" "$(dpkg-deb -f "$d" Version)"
  src=$(dpkg-deb -f "$d" Source); [ -n "$src" ] && printf 'Source: %s\n' "$src"
  printf '\n'
done > "$OUT/var/lib/dpkg/status"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n' > "$OUT/etc/os-release"
# apache2: its main file, kept beside the root (a server runs one web server;
# the Apache test copies it in).
rm -rf apache2; mkdir -p apache2
[ -f "$X/etc/apache2/apache2.conf" ] && cp "$X/etc/apache2/apache2.conf" apache2/
rm -rf "$X"
# Git keeps no empty folder, and the checks look at these ones.
for d in var/lib/roundcube/public_html var/lib/roundcube/temp var/log/roundcube var/www/html; do
  : > "$OUT/$d/.gitkeep"
done
