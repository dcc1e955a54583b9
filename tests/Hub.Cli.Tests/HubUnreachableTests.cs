using Hub.Cli;

namespace Hub.Cli.Tests;

public sealed class HubUnreachableTests
{
    /// <summary>A Hub (or the broker behind it) slower than the client's timeout: an answer, not an unhandled exception.</summary>
    private sealed class NeverAnswers : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }

    [Test]
    public async Task A_Hub_that_does_not_answer_in_time_gives_exit_code_3_and_says_what_to_do()
    {
        var file = Path.Combine(Path.GetTempPath(), $"hub-cli-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "[{\"id\":\"X\"}]");
        try
        {
            using var slow = new HttpClient(new NeverAnswers()) { BaseAddress = new Uri("http://hub.invalid/"), Timeout = TimeSpan.FromMilliseconds(200) };
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await HubCli.RunAsync(["ingest", file, "--agency", "COURT-34-1122"], stdout, stderr, slow, CancellationToken.None);
            Assert.That(code, Is.EqualTo(3));
            Assert.That(stderr.ToString(), Does.Contain("the Hub did not answer in time"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
