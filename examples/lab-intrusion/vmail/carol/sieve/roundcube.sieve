require ["fileinto"];
# rule:[newsletters]
if allof (header :contains "subject" "newsletter")
{
	fileinto "Junk";
}
