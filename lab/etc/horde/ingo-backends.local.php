<?php
/* Ingo's filters for the vigie lab: Sieve scripts through the lab's Dovecot
   ManageSieve on 127.0.0.1:4190 (no TLS, loopback only), with the IMAP login;
   installed as /etc/horde/ingo/backends.local.php. */
$backends['imap']['disabled'] = true;
$backends['sieve']['disabled'] = false;
$backends['sieve']['hordeauth'] = 'full';
$backends['sieve']['transport'][Ingo::RULE_ALL]['params']['hostspec'] = '127.0.0.1';
$backends['sieve']['transport'][Ingo::RULE_ALL]['params']['usetls'] = false;
$backends['sieve']['transport'][Ingo::RULE_ALL]['params']['port'] = 4190;
// Dovecot's accounts are whole addresses; Ingo logs in with the bare Horde user
// ("alice", also as the PLAIN authorization id, which Dovecot refuses) unless
// the transport names them: the logged-in Horde user, whole, and the password
// IMP logged in with.
if (isset($GLOBALS['registry']) && $GLOBALS['registry']->getAuth()) {
    $backends['sieve']['transport'][Ingo::RULE_ALL]['params']['username'] = $GLOBALS['registry']->getAuth();
    $backends['sieve']['transport'][Ingo::RULE_ALL]['params']['euser'] = $GLOBALS['registry']->getAuth();
    $backends['sieve']['transport'][Ingo::RULE_ALL]['params']['password'] = $GLOBALS['registry']->getAuthCredential('password', 'imp');
}
