<?php
// Roundcube 1.6 (Debian) of the vigie lab, installed as
// /etc/roundcube/config.inc.php by lab/up, which fills in the @...@ values.
$config = [];
// The sqlite3 database that Debian's dbconfig-common made at install.
include("/etc/roundcube/debian-db-roundcube.php");

$config['imap_host'] = '127.0.0.1:143';
$config['smtp_host'] = '127.0.0.1:587';
$config['smtp_user'] = '%u';
$config['smtp_pass'] = '%p';
$config['username_domain'] = 'lab.test';
$config['mail_domain'] = 'lab.test';
$config['product_name'] = 'Lab Webmail';
$config['support_url'] = '';
$config['des_key'] = '@DES_KEY@';
$config['plugins'] = ['archive', 'zipdownload', 'managesieve', 'markasjunk'];
$config['skin'] = 'elastic';
$config['enable_spellcheck'] = false;
$config['create_default_folders'] = true;

// Logs vigie reads: logins, sessions and sending, as files under /var/log/roundcube.
$config['log_driver'] = 'file';
$config['log_dir'] = '/var/log/roundcube/';
$config['log_date_format'] = 'd-M-Y H:i:s O';
$config['log_logins'] = true;
$config['log_session'] = true;
$config['smtp_log'] = true;

// Failed logins per minute before an account is locked for 60 s (3: Roundcube's default).
$config['login_rate_limit'] = @LOGIN_RATE_LIMIT@;
