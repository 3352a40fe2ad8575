# PHP 8 no longer calls a PHP 4 constructor (lab/README.md).
63s/^    function Horde_Form_Renderer(\$params = array())$/    function __construct($params = array())/
