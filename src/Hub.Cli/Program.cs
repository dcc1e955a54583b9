using Hub.Cli;

return await HubCli.RunAsync(args, Console.Out, Console.Error, http: null, CancellationToken.None);
