<?php
/* IMP's server for the vigie lab: the lab's Dovecot on 127.0.0.1:143, no TLS
   (loopback only); installed as /etc/horde/imp/backends.local.php. */
$servers['imap']['name'] = 'Lab IMAP';
$servers['imap']['hostspec'] = '127.0.0.1';
$servers['imap']['port'] = 143;
$servers['imap']['secure'] = false;
$servers['imap']['maildomain'] = 'lab.test';
