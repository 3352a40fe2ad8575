<?php
/**
 * Writes Horde's configuration for the vigie lab (run by lab/up-webmails as
 * `php lab/etc/horde/configure.php`): every application's conf.php from its
 * conf.xml defaults, as Debian's webmail-install does (Horde_Core_Bundle),
 * then the lab's settings appended to Horde's (lab/etc/horde/conf.local.php),
 * then the database tables (Horde_Core_Db_Migration). Idempotent.
 */
$error_level = E_ALL & ~E_STRICT & ~E_DEPRECATED;
ini_set('error_reporting', $error_level);
ini_set('display_errors', 1);

require_once 'PEAR/Config.php';
require_once PEAR_Config::singleton()->get('horde_dir', null, 'pear.horde.org') . '/lib/Application.php';

$cli = Horde_Core_Cli::init();
$base = HORDE_BASE . '/config';
// Horde's error handler logs PHP 8.2's deprecation notices of Horde 5 itself,
// and logging one raises another: the level of the lab leaves them out.
file_put_contents($base . '/conf.php', str_replace(
    "\$conf['debug_level'] = E_ALL & ~E_NOTICE;",
    "\$conf['debug_level'] = E_ALL & ~E_NOTICE & ~E_DEPRECATED & ~E_STRICT;",
    file_get_contents($base . '/conf.php.dist')));
Horde_Registry::appInit('horde', array('nocompress' => true, 'authentication' => 'none'));

// Horde's conf.php: the defaults of conf.xml, then the lab's settings.
$config = new Horde_Config();
$php = $config->generatePHPConfig(new Horde_Variables(), $GLOBALS['conf']);
$php = str_replace('/* CONFIG END. DO NOT CHANGE ANYTHING IN OR BEFORE THIS LINE. */',
                   "/* CONFIG END. DO NOT CHANGE ANYTHING IN OR BEFORE THIS LINE. */\n" .
                   "require __DIR__ . '/conf.local.php';", $php);
file_put_contents($config->configFile(), $php);
include $config->configFile();
$GLOBALS['conf'] = $conf;

// The other applications' conf.php, each from its conf.xml defaults.
foreach ($GLOBALS['registry']->listAllApps() as $app) {
    if ($app == 'horde' || !file_exists($GLOBALS['registry']->get('fileroot', $app) . '/config/conf.xml')) {
        continue;
    }
    $app_config = new Horde_Config($app);
    if (!$app_config->writePHPConfig(new Horde_Variables())) {
        throw new Horde_Exception('Cannot write ' . $app_config->configFile());
    }
}

// The tables of every application (twice: their migrations depend on each other).
$migration = new Horde_Core_Db_Migration();
for ($i = 0; $i < 2; $i++) {
    $error = null;
    foreach ($migration->apps as $app) {
        $migrator = $migration->getMigrator($app);
        if ($migrator->getTargetVersion() <= $migrator->getCurrentVersion()) {
            continue;
        }
        try {
            $migrator->up();
        } catch (Exception $error) {
            if ($i) {
                throw $error;
            }
        }
    }
    if (!$error) {
        break;
    }
}
echo "horde: configured\n";
