<?php
// Lab-only workaround (lab/README.md): Horde's PHP 8 compatibility for the lab,
// loaded before every script of the Horde vhost only, as PHP's auto_prepend_file
// (fastcgi_param PHP_VALUE in etc/nginx/mailstack-horde; lab/up-webmails
// installs it as /etc/horde/php82-compat.php).
//
// Debian 12's php-horde-imp 6.2.27-3 still calls each(), which PHP 8.0 removed:
// IMP_Contents::getInlineOutput (imp/lib/Contents.php:1484, every message view),
// imp/lib/Basic/Mailbox.php:846, imp/lib/Minimal/Mailbox.php and
// imp/lib/Ajax/Application/ListMessages.php. This is PHP 7's each(), in userland:
// the current key and value (as [1, 'value', 0, 'key']), then the pointer moves on.
if (!function_exists('each')) {
    function each(array &$array)
    {
        $key = key($array);
        if ($key === null) {
            return false;
        }
        $value = current($array);
        next($array);
        return [1 => $value, 'value' => $value, 0 => $key, 'key' => $key];
    }
}
