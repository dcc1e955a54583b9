using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hub.Cli;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>The embedded default (in-memory bus, SQLite file) as `dotnet run --project src/Hub.Host` starts it, and the `hub` CLI against it.</summary>
[NonParallelizable]
public sealed class EmbeddedDefaultTests
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"hub-embedded-{Guid.NewGuid():N}", "hub.db");
    private HubFactory _hub = default!;
    private HttpClient _client = default!;

    [OneTimeSetUp]
    public async Task StartHub()
    {
        _hub = new HubFactory(HubFactory.Embedded(_file));
        _client = await _hub.ClientAsAsync(Court);
        await Eventually.Get(async () => (await _client.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
    }

    [OneTimeTearDown]
    public async Task StopHub()
    {
        _client.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    [Test]
    public async Task The_embedded_hub_accepts_a_notice_over_http_and_answers_the_lookup()
    {
        using var post = await _client.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", Company("EMB-1"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), await post.Content.ReadAsStringAsync());

        var subject = await Eventually.Get(async () =>
        {
            using var r = await _client.GetAsync($"/api/subjects?uscc={CompanyUscc}");
            return r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync() : null;
        }, "the company in the index");
        var root = JsonDocument.Parse(subject).RootElement;
        Assert.That(root.GetProperty("displayName").GetString(), Is.EqualTo("安徽皖东建设工程有限公司"), "names come back as text, not escapes");
        Assert.That(root.GetProperty("restricted").GetBoolean(), Is.True);
        Assert.That(File.Exists(_file), Is.True, "the index is the SQLite file the configuration names");
    }

    [Test]
    public async Task Another_agency_in_the_route_and_a_malformed_body_get_clear_errors()
    {
        using var unknown = await _client.PostAsJsonAsync("/api/adapters/court/COURT-99-9999/notices", Company("X"));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await unknown.Content.ReadAsStringAsync(), Does.Contain("you may not act for agency 'COURT-99-9999'"));

        using var malformed = await _client.PostAsync($"/api/adapters/court/{Court}/notices", new StringContent("[{\"iname\": ", System.Text.Encoding.UTF8, "application/json"));
        Assert.That(malformed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await malformed.Content.ReadAsStringAsync(), Does.Contain("malformed JSON at line 1"));
    }

    [Test]
    public async Task Hub_ingest_sends_a_file_and_reports_each_unreadable_line_then_lookup_finds_the_subject()
    {
        var file = Path.Combine(Path.GetDirectoryName(_file)!, "notices.jsonl");
        await File.WriteAllLinesAsync(file,
        [
            Company("CLI-1", uscc: Hub.Testing.TestIdentifiers.Uscc(901)).ToJsonString(),
            "{ not json",
            Company("CLI-2", uscc: Hub.Testing.TestIdentifiers.Uscc(902)).ToJsonString().Replace("\"caseCode\"", "\"noCase\""),
        ]);
        var (code, stdout, stderr) = await Run("ingest", file, "--agency", Court);

        Assert.That(code, Is.EqualTo(1), stderr);
        Assert.That(stdout, Does.Contain("1 accepted, 2 rejected, 0 failed"));
        Assert.That(stderr, Does.Contain("notices.jsonl:line 2\trejected\tmalformed JSON"));
        Assert.That(stderr, Does.Contain("notices.jsonl:line 3\trejected\tcaseCode is missing"));

        var (lookupCode, json, _) = await Eventually.Get(async () =>
            await Run("lookup", "--uscc", Hub.Testing.TestIdentifiers.Uscc(901)) is { Code: 0 } r ? r : null, "hub lookup to find the subject");
        Assert.That(lookupCode, Is.Zero);
        Assert.That(JsonDocument.Parse(json).RootElement.GetProperty("listings").GetArrayLength(), Is.EqualTo(1));
    }

    private async Task<RunResult> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HubCli.RunAsync(args, stdout, stderr, _client, CancellationToken.None);
        return new RunResult(code, stdout.ToString(), stderr.ToString());
    }

    private sealed record RunResult(int Code, string Stdout, string Stderr);
}
