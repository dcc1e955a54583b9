using Hub.Cli;

namespace Hub.Cli.Tests;

/// <summary>The operator's commands without a Hub: usage mistakes and a Hub that is not there. Against a running Hub:
/// OperatorCliTests and OperatorCliServerModeTests in Hub.Integration.Tests.</summary>
public sealed class OperatorCommandTests
{
    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HubCli.RunAsync(args, stdout, stderr, http: null, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task A_Hub_that_is_not_running_is_named_with_its_address_and_exit_code_3()
    {
        // port 9 (discard) has no listener here: the connection is refused at once
        var (code, stdout, stderr) = await Run("queues", "--hub", "http://127.0.0.1:9", "--api-key", "hub_any");
        Assert.That(code, Is.EqualTo(3));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.StartWith("hub: cannot reach the Hub at http://127.0.0.1:9: "));
        Assert.That(stderr, Does.Contain("--hub URL or $HUB_URL"));
    }

    [TestCase("replay")]
    [TestCase("replay", "--group", "g1", "--message", "m1")]
    [TestCase("replay", "--all", "--group", "g1")]
    public async Task Replay_needs_exactly_one_choice(params string[] args)
    {
        var (code, _, stderr) = await Run(args);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("hub: replay needs exactly one of --group ID, --message ID or --all"));
        Assert.That(stderr, Does.Contain("usage:"));
    }

    [TestCase(new[] { "quarantine", "reject", "Q1" }, "quarantine reject needs --reason TEXT")]
    [TestCase(new[] { "quarantine", "release", "Q1", "--reason", "x" }, "quarantine release does not take --reason")]
    [TestCase(new[] { "failed", "--limit", "0" }, "--limit takes a whole number above 0")]
    [TestCase(new[] { "queues", "--all" }, "queues does not take --all")]
    public async Task Mistakes_are_named_before_anything_is_sent(string[] args, string message)
    {
        var (code, _, stderr) = await Run([.. args, "--hub", "http://127.0.0.1:9"]);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.StartWith("hub: " + message));
    }

    [Test]
    public void Tables_pad_Chinese_characters_as_two_columns()
    {
        var output = new StringWriter();
        Table.Write(output, ["NAME", "N"], [["滁州公司", "1"], ["ab", "22"]]);
        Assert.That(output.ToString().ReplaceLineEndings("\n"), Is.EqualTo("NAME      N\n滁州公司  1\nab        22\n"));
    }

    [TestCase(null, "-")]
    [TestCase(4.4, "4s")]
    [TestCase(185.0, "3m05s")]
    [TestCase(7800.0, "2h10m")]
    [TestCase(356400.0, "4d03h")]
    public void Ages_print_in_two_units(double? seconds, string expected) => Assert.That(HubCli.Age(seconds), Is.EqualTo(expected));
}
