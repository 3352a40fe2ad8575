<?php
// Roundcube's own MIME parser (rcube_mime::parse_message over rcube_mime_decode, the fallback
// rcube_imap::get_message_structure uses when Dovecot's BODYSTRUCTURE says text/plain and the
// headers another type): the leaf parts of each file given, one JSON line per file, for
// differential.py. Needs an installed Roundcube (ROUNDCUBE_LIB, default the Debian path).
define('RCUBE_INSTALL_PATH', '/usr/share/roundcube/'); define('RCUBE_CONFIG_DIR', '/tmp/'); define('RCUBE_CHARSET', 'UTF-8');
$lib = getenv('ROUNDCUBE_LIB') ?: '/usr/share/roundcube/program/lib/Roundcube';
require_once "$lib/bootstrap.php";
// Roundcube's deprecation notices on PHP 8.2 go nowhere (not to an errors.log in the cwd).
ini_set('log_errors', '0');
ini_set('display_errors', '0');
error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE & ~E_WARNING);
spl_autoload_register(function ($c) use ($lib) { $f = "$lib/$c.php"; if (is_file($f)) require_once $f; });
function leaves($p, &$out) {
    if (!empty($p->parts)) { foreach ($p->parts as $c) leaves($c, $out); return; }
    // Line ends as LF, for comparison with files that have them (IMAP gives Roundcube CRLF).
    $body = str_replace("\r\n", "\n", (string)$p->body);
    $out[] = ['content_type' => strtolower($p->mimetype), 'size' => strlen($body), 'sha256' => hash('sha256', $body),
        'trim_sha256' => hash('sha256', rtrim($body, "\n"))];
}
foreach (array_slice($argv, 1) as $file) {
    $out = [];
    // Roundcube reads messages over IMAP, where every line ends in CRLF.
    $raw = preg_replace('/\r?\n/', "\r\n", file_get_contents($file));
    try { $s = rcube_mime::parse_message($raw); if ($s) leaves($s, $out); }
    catch (Throwable $e) { $out = ['error' => $e->getMessage()]; }
    echo json_encode(['file' => $file, 'parts' => $out]), "\n";
}
