<?php
/* The vigie lab's Horde settings, read after the conf.xml defaults that
   lab/etc/horde/configure.php writes to /etc/horde/horde/conf.php; installed
   as /etc/horde/horde/conf.local.php by lab/up-webmails. */
$conf['use_ssl'] = 0;
$conf['testdisable'] = true;
$conf['cookie']['path'] = '/horde';
$conf['tmpdir'] = '/var/lib/horde/tmp';
// Horde's own tables (preferences, sessions of the framework, Turba, Ingo) in SQLite.
$conf['sql'] = array('phptype' => 'sqlite', 'database' => '/var/lib/horde/horde.sqlite', 'charset' => 'utf-8');
$conf['prefs']['driver'] = 'Sql';
$conf['prefs']['params'] = array();
// Whoever IMP lets in is a Horde user: the lab's Dovecot accounts.
$conf['auth']['driver'] = 'application';
$conf['auth']['params']['app'] = 'imp';
$conf['auth']['admins'] = array();
// horde.log: Horde_Log's file handler, INFO and above (IMP's logins and failures).
$conf['log']['enabled'] = true;
$conf['log']['priority'] = 'INFO';
$conf['log']['ident'] = 'HORDE';
$conf['log']['type'] = 'file';
$conf['log']['name'] = '/var/log/horde/horde.log';
$conf['log']['params']['append'] = true;
// Outgoing mail through the lab's Postfix.
$conf['mailer']['type'] = 'smtp';
$conf['mailer']['params'] = array('host' => '127.0.0.1', 'port' => 25, 'auth' => false, 'lmtp' => false);
// Horde's cache in files: an SQL cache would need the database adapter, which caches its schema in it.
$conf['cache']['driver'] = 'File';
$conf['cache']['params']['dir'] = '/var/lib/horde/tmp';
$conf['sessionhandler']['type'] = 'Builtin';
$conf['debug_level'] = E_ALL & ~E_NOTICE & ~E_DEPRECATED & ~E_STRICT;
// URLs and cookies for http://127.0.0.1:8081 (no DNS in the lab).
$conf['server']['name'] = '127.0.0.1';
$conf['server']['port'] = 8081;
$conf['cookie']['domain'] = '';
// The login form offers the view (basic, dynamic, minimal): the lab's browsers take "basic".
$conf['user']['select_view'] = true;
// Settings conf.php.dist has below its "shouldn't change" line, which the
// conf.xml defaults leave out.
$conf['max_exec_time'] = 0;
$conf['session']['name'] = 'Horde';
$conf['session']['cache_limiter'] = 'nocache';
$conf['session']['max_time'] = 72000;
$conf['session']['timeout'] = 0;
