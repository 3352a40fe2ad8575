# PHP 8 no longer calls a PHP 4 constructor (lab/README.md).
30s/^    function Horde_Form_Action(\$params = null)$/    function __construct($params = null)/
