# PHP 8 no longer calls a PHP 4 constructor (a method named as its class): the
# variable would keep no type and every form dies on getTypeName() (lab/README.md).
143s/^    function Horde_Form_Variable(\$humanName, \$varName, \$type, \$required,$/    function __construct($humanName, $varName, $type, $required,/
