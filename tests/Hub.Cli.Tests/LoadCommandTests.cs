using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Cli;

namespace Hub.Cli.Tests;

/// <summary>
/// <c>hub load</c> against a stand-in for the bulk door that answers as the Hub does (every notice accepted, a notice
/// without <c>caseCode</c> rejected) and can be made to stop answering: what is sent, in which chunks, and what a resumed
/// load sends again. Against a real Hub process killed in the middle: HubLoadTests in Hub.Integration.Tests.
/// </summary>
public sealed class LoadCommandTests
{
    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateDirectory(Path.Combine(TestContext.CurrentContext.WorkDirectory, $"load-{Guid.NewGuid():N}")).FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    /// <summary>The bulk door's stand-in: records the ids of every request's notices; from <see cref="DownAfter"/>
    /// requests on it is unreachable.</summary>
    private sealed class FakeDoor : HttpMessageHandler
    {
        public List<List<string>> Requests { get; } = [];
        public int DownAfter { get; set; } = int.MaxValue;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.Method == HttpMethod.Get)
            {
                Assert.That(request.RequestUri!.PathAndQuery, Is.EqualTo("/api/operator/quarantine?agency=COURT-34-1122&limit=1000"));
                Assert.That(request.Headers.GetValues("X-Api-Key"), Is.EqualTo(new[] { "hub_operator" }));
                const string quarantine = """
                    [ { "id": "Q2", "agencyCode": "COURT-34-1122", "sourceRecordId": "N-5", "revision": 1, "kind": "JudgmentDefaulterListed",
                        "reasonCode": "invalid-identifier", "reason": "subject.uscc: check character is 'D', expected 'C'", "messageId": "m", "receivedAt": "2099-01-01T00:00:00Z" },
                      { "id": "Q1", "agencyCode": "COURT-34-1122", "sourceRecordId": "OLD-1", "revision": 1, "kind": "JudgmentDefaulterListed",
                        "reasonCode": "unknown-basis", "reason": "before this load", "messageId": "m", "receivedAt": "2000-01-01T00:00:00Z" } ]
                    """;
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(quarantine, Encoding.UTF8, "application/json") };
            }
            Assert.That(request.RequestUri!.AbsolutePath, Is.EqualTo("/api/adapters/court/COURT-34-1122/notices/bulk"));
            Assert.That(request.Content!.Headers.ContentType!.MediaType, Is.EqualTo("application/x-ndjson"));
            if (Requests.Count >= DownAfter) throw new HttpRequestException("Connection refused (127.0.0.1:5080)");
            var lines = (await request.Content.ReadAsStringAsync(ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var ids = new List<string>();
            var results = new JsonArray();
            for (var i = 0; i < lines.Length; i++)
            {
                var notice = JsonNode.Parse(lines[i])!;
                var id = notice["id"]!.GetValue<string>();
                ids.Add(id);
                results.Add(notice["caseCode"] is null
                    ? new JsonObject { ["position"] = i + 1, ["sourceRecordId"] = id, ["status"] = "rejected", ["reason"] = "caseCode is missing", ["warnings"] = new JsonArray() }
                    : new JsonObject { ["position"] = i + 1, ["sourceRecordId"] = id, ["status"] = "accepted", ["reason"] = null, ["warnings"] = new JsonArray() });
            }
            Requests.Add(ids);
            var accepted = results.Count(r => r!["status"]!.GetValue<string>() == "accepted");
            var body = new JsonObject { ["accepted"] = accepted, ["rejected"] = results.Count - accepted, ["failed"] = 0, ["results"] = results };
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        }
    }

    private string File(params string[] lines)
    {
        var path = Path.Combine(_dir, "notices.jsonl");
        System.IO.File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    private static string Notice(int i, bool withCase = true) =>
        withCase ? $$"""{"id":"N-{{i}}","iname":"公司{{i}}","caseCode":"(2026)皖1122执{{i}}号"}""" : $$"""{"id":"N-{{i}}","iname":"公司{{i}}"}""";

    private static async Task<(int Code, string Stdout, string Stderr)> Load(FakeDoor door, string file, params string[] more)
    {
        using var http = new HttpClient(door) { BaseAddress = new Uri("http://127.0.0.1:5080/") };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HubCli.RunAsync(["load", file, "--agency", "COURT-34-1122", .. more], stdout, stderr, http, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task A_file_goes_in_chunks_and_the_refusals_are_reported_by_line()
    {
        var file = File(Notice(1), Notice(2), "", Notice(3, withCase: false), Notice(4), Notice(5));
        var door = new FakeDoor();

        var (code, stdout, _) = await Load(door, file, "--chunk", "2");

        Assert.That(code, Is.EqualTo(1), "one notice refused");
        Assert.That(door.Requests, Is.EqualTo(new[] { new[] { "N-1", "N-2" }, ["N-3", "N-4"], ["N-5"] }), "the blank line skipped, the order kept");
        Assert.That(stdout, Does.Contain("4 accepted, 1 refused at the door"));
        Assert.That(stdout, Does.Contain("  4\tN-3\tcaseCode is missing"), "the line of the file, not of the request");
        Assert.That(System.IO.File.ReadAllText(file + ".rejects"), Is.EqualTo("4\tN-3\tcaseCode is missing\n"));
        Assert.That(JsonDocument.Parse(System.IO.File.ReadAllText(file + ".hubload")).RootElement.GetProperty("completed").GetBoolean(), Is.True);

        var (again, againOut, _) = await Load(door, file, "--chunk", "2");
        Assert.That(door.Requests, Has.Count.EqualTo(3), "a finished load sends nothing again");
        Assert.That(again, Is.EqualTo(1));
        Assert.That(againOut, Does.Contain("was loaded completely"));
    }

    [Test]
    public async Task An_interrupted_load_resumes_after_the_last_chunk_the_Hub_answered_and_sends_nothing_it_confirmed()
    {
        var file = File(Enumerable.Range(1, 7).Select(i => Notice(i, withCase: i != 2)).ToArray());
        var door = new FakeDoor { DownAfter = 2 };

        var (stopped, _, stoppedErr) = await Load(door, file, "--chunk", "2");

        Assert.That(stopped, Is.EqualTo(3), stoppedErr);
        Assert.That(stoppedErr, Does.Contain("run the same command again to resume"));
        Assert.That(door.Requests, Is.EqualTo(new[] { new[] { "N-1", "N-2" }, ["N-3", "N-4"] }));

        door.DownAfter = int.MaxValue;
        var (resumed, stdout, stderr) = await Load(door, file, "--chunk", "2");

        Assert.That(resumed, Is.EqualTo(1), stdout + stderr);
        Assert.That(stderr, Does.Contain("resuming"));
        Assert.That(door.Requests.Skip(2), Is.EqualTo(new[] { new[] { "N-5", "N-6" }, ["N-7"] }), "only what no answer confirmed");
        Assert.That(stdout, Does.Contain("6 accepted, 1 refused at the door"));
        Assert.That(System.IO.File.ReadAllText(file + ".rejects"), Is.EqualTo("2\tN-2\tcaseCode is missing\n"), "the refusal once");
    }

    [Test]
    public async Task With_an_operators_key_the_report_names_what_the_aggregator_quarantined_since_the_load_began()
    {
        var file = File(Notice(5), Notice(6));
        var door = new FakeDoor();

        var (code, stdout, stderr) = await Load(door, file, "--operator-key", "hub_operator");

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("quarantined by the aggregator so far (since the load began; it may still be applying): 1"));
        Assert.That(stdout, Does.Contain("  N-5\trevision 1\tinvalid-identifier\tsubject.uscc: check character is 'D', expected 'C'"));
        Assert.That(stdout, Does.Not.Contain("OLD-1"));
    }

    [Test]
    public async Task A_JSON_array_is_refused_with_how_to_make_JSON_lines()
    {
        var path = Path.Combine(_dir, "notices.json");
        await System.IO.File.WriteAllTextAsync(path, $"[{Notice(1)}]");
        var door = new FakeDoor();

        var (code, _, stderr) = await Load(door, path);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("is a JSON array; load takes JSON lines"));
        Assert.That(door.Requests, Is.Empty);
    }
}
