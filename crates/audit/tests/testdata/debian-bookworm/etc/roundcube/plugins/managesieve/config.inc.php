<?php
// Empty configuration for managesieve
// See /usr/share/roundcube/plugins/managesieve/config.inc.php.dist for instructions
// Check the access right of the file if you put sensitive information in it.
$config=array();
?>
