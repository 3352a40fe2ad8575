# Type.php: PHP 8 makes an incompatible method signature fatal, and 16 of the
# classes of Debian 12 php-horde-form 2.0.20-2 Horde/Form/Type.php declare one,
# so every page loading Horde_Form (all of Ingo's rule pages) dies. Each line
# gives the parameters a default (for country, the parent's second parameter) so
# the child accepts every call its parent accepts; nothing else changes.
# Line-anchored, idempotent; lab/up-webmails applies it (lab/README.md).
843s/^    function init(\$gpg, \$temp_dir = null, \$rows = null, \$cols = null)$/    function init($gpg = null, $temp_dir = null, $rows = null, $cols = null)/
925s/^    function init(\$prompt = null)$/    function init($prompt = null, $unused = null)/
1035s/^    function onSubmit(\&\$var, \&\$vars)$/    function onSubmit(\&$var = null, \&$vars = null)/
1394s/^    function init(\$values)$/    function init($values = null)/
2125s/^    function init(\$cols, \$rows = array(), \$matrix = array(), \$new_input = false)$/    function init($cols = null, $rows = array(), $matrix = array(), $new_input = false)/
2278s/^    function init(\$values, \$prompt = null)$/    function init($values = null, $prompt = null)/
2341s/^    function init(\&\$values, \$prompts = null)$/    function init(\&$values = null, $prompts = null)/
2354s/^    function onSubmit(\&\$var, \&\$vars)$/    function onSubmit(\&$var = null, \&$vars = null)/
2426s/^    function init(\$values, \$size = null)$/    function init($values = null, $size = null)/
2526s/^    function init(\$values, \$checkAll = false)$/    function init($values = null, $checkAll = false)/
3322s/^    function init(\$values, \$size = 8, \$header = '')$/    function init($values = null, $size = 8, $header = '')/
3431s/^    function init(\$selectid, \$link_text = null, \$link_style = '',$/    function init($selectid = null, $link_text = null, $link_style = '',/
3480s/^    function init(\$leftValues, \$rightValues, \$leftHeader = '',$/    function init($leftValues = null, $rightValues = null, $leftHeader = '',/
3496s/^    function getValues(\$side)$/    function getValues($side = null)/
3722s/^    function init(\$db, \$sql, \$prompt = null)$/    function init($db = null, $sql = null, $prompt = null)/
3757s/^    function init(\$text, \$font)$/    function init($text = null, $font = null)/
3862s/^    function init(\$message)$/    function init($message = null)/
