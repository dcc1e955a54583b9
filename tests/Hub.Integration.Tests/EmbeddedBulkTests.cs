using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hub.Storage;
using Hub.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>The bulk door on the embedded default (in-memory bus, SQLite): the batches go through the in-memory bus to the
/// aggregator's bulk queue, and each notice is applied or quarantined as on the one-message door.</summary>
[NonParallelizable]
public sealed class EmbeddedBulkTests
{
    [Test]
    public async Task The_bulk_door_of_the_embedded_default_applies_every_accepted_notice_and_quarantines_the_one_that_breaks_a_rule()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hub-embedded-bulk-{Guid.NewGuid():N}");
        try
        {
            await using var hub = new HubFactory(HubFactory.Embedded(Path.Combine(folder, "hub.db")));
            using var client = await hub.ClientAsAsync(Court);
            await Eventually.Get(async () => (await client.GetAsync("/health/ready")).IsSuccessStatusCode ? "ready" : null, "/health/ready");
            var notices = Companies(1_100, first: 60_001).Cast<JsonNode>().ToList();
            notices.Add(Company("EB-BAD", uscc: "9134112215678901XD", caseCode: "(2026)皖1122执9999号"));   // wrong check character: accepted with a warning

            using var post = await client.PostAsync($"/api/adapters/court/{Court}/notices/bulk",
                new StringContent(string.Join('\n', notices.Select(n => n!.ToJsonString())), Encoding.UTF8, "application/x-ndjson"));
            var answer = JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement;

            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(answer.GetProperty("accepted").GetInt32(), Is.EqualTo(1_101));
            Assert.That(answer.GetProperty("results")[1_100].GetProperty("warnings")[0].GetString(), Does.Contain("check character"));
            var db = hub.Services.GetRequiredService<IndexDatabase>();
            await Eventually.Get(async () => await db.CountListingsAsync(CancellationToken.None) == 1_100 ? "all" : null, "1,100 notices applied", seconds: 120);
            var quarantined = await Eventually.Get(async () => (await db.QuarantineAsync(Court, 10, CancellationToken.None)).FirstOrDefault(), "EB-BAD quarantined");
            Assert.That((quarantined.SourceRecordId, quarantined.ReasonCode), Is.EqualTo(("EB-BAD", "invalid-identifier")));
            Assert.That(quarantined.MessageId, Does.Match(@"^[0-9a-f]{32}\.\d+$"), "the record's own inbox id: batch message id and position");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
