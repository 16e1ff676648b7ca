namespace PopIoT.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        System.Console.WriteLine("popiot " + PopIoT.AuthorizationServer.AuthorizationServerInfo.CoreVersion + " " + args.Length);
        return 0;
    }
}
