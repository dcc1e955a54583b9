using System.Text.Json;
using Hub.Cli;

namespace Hub.Cli.Tests;

public sealed class BrokerDefinitionsTests
{
    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = HubCli.RunAsync(args, stdout, stderr, http: null, CancellationToken.None).GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string RepositoryFile(string path)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hub.sln"))) return Path.Combine(dir.FullName, path);
        throw new AssertionException($"no Hub.sln above {TestContext.CurrentContext.TestDirectory}");
    }

    [Test]
    public void The_committed_definitions_are_the_generated_ones()
    {
        var (code, generated, _) = Run("broker-definitions");

        Assert.That(code, Is.Zero);
        Assert.That(File.ReadAllText(RepositoryFile("deploy/rabbitmq/definitions.json")), Is.EqualTo(generated),
            "deploy/rabbitmq/definitions.json is out of date: regenerate it with `dotnet run --project src/Hub.Cli -- broker-definitions > deploy/rabbitmq/definitions.json`");
    }

    [Test]
    public void Every_agency_has_its_own_user_that_configures_nothing_and_reads_only_its_subscriber_queue()
    {
        using var doc = JsonDocument.Parse(Run("broker-definitions").Stdout);
        var permissions = doc.RootElement.GetProperty("permissions").EnumerateArray().ToDictionary(p => p.GetProperty("user").GetString()!);
        var users = doc.RootElement.GetProperty("users").EnumerateArray().ToDictionary(u => u.GetProperty("name").GetString()!, u => u.GetProperty("tags").GetString());

        Assert.That(users["hub-adapter"], Is.EqualTo("impersonator"));
        Assert.That(users["hub-aggregator"], Is.Empty);
        Assert.That(users["hub-operator"], Is.EqualTo("monitoring"));
        foreach (var agency in new[] { "court-34-1122", "food-35", "labour-32", "env-44", "market-33" })
        {
            Assert.That(users, Does.ContainKey(agency));
            Assert.That(permissions[agency].GetProperty("configure").GetString(), Is.EqualTo("^$"), agency);
            Assert.That(permissions[agency].GetProperty("read").GetString(), Is.EqualTo($"^hub\\.subscriber\\.{agency}$"), agency);
            Assert.That(permissions[agency].GetProperty("vhost").GetString(), Is.EqualTo("hub"), agency);
        }
        Assert.That(doc.RootElement.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("password").GetString()).Distinct(),
            Is.EqualTo(new[] { "CHANGE-ME" }));
    }

    [Test]
    public void Definitions_for_a_replaced_agency_list_name_its_agencies()
    {
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"agencies-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "agencies": [ { "code": "COURT-32-0102", "name": "x", "kind": "court", "regionCode": "320102" } ] }""");
        try
        {
            var (code, stdout, _) = Run("broker-definitions", "--agencies", file);

            Assert.That(code, Is.Zero);
            Assert.That(stdout, Does.Contain("\"court-32-0102\"").And.Not.Contain("court-34-1122"));
        }
        finally { File.Delete(file); }
    }

    [Test]
    public void A_missing_agency_file_is_named()
    {
        var (code, _, stderr) = Run("broker-definitions", "--agencies", "/nonexistent/agencies.json");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("/nonexistent/agencies.json"));
    }
}
