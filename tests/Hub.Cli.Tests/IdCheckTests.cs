using Hub.Cli;

namespace Hub.Cli.Tests;

public sealed class IdCheckTests
{
    private static (int Code, string[] Lines) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = HubCli.RunAsync(args, stdout, stderr, http: null, CancellationToken.None).GetAwaiter().GetResult();
        return (code, (stdout.ToString() + stderr.ToString()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Test]
    public void Id_check_prints_one_tab_separated_line_per_value()
    {
        var (code, lines) = Run("id", "check", "91350100M000100Y43", "110105491231002", "91350100M000100Y44");

        Assert.That(code, Is.EqualTo(1), "one value is invalid");
        Assert.That(lines, Is.EqualTo(new[]
        {
            "91350100M000100Y43\tuscc\tvalid\t91350100M000100Y43\t-",
            "110105491231002\tric\tvalid\t11010519491231002X\t-",
            "91350100M000100Y44\tuscc\tinvalid\t-\tcheck character is '4', expected '3'",
        }));
    }

    [Test]
    public void Id_check_of_valid_values_exits_zero()
    {
        Assert.That(Run("id", "check", "11010519491231002X", "M000100Y4").Code, Is.Zero);
    }

    [TestCase]
    [TestCase("id")]
    [TestCase("ingest", "file.json")]
    [TestCase("lookup", "--color", "x")]
    public void Wrong_words_print_usage_and_exit_2(params string[] args)
    {
        var (code, lines) = Run(args);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(lines, Has.Some.Contains("usage:"));
    }
}
