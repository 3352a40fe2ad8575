<?php
// The managesieve plugin of the vigie lab (Dovecot's ManageSieve on loopback),
// installed as /etc/roundcube/plugins/managesieve/config.inc.php by lab/up.
$config = [];
$config['managesieve_host'] = '127.0.0.1';
$config['managesieve_port'] = 4190;
$config['managesieve_usetls'] = false;
$config['managesieve_auth_type'] = 'PLAIN';
$config['managesieve_script_name'] = 'roundcube';
$config['managesieve_vacation'] = 1;
$config['managesieve_forward'] = 1;
