using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using static Hub.Testing.CourtNoticeJson;

namespace Hub.Integration.Tests;

/// <summary>A disclosure is answered only once it is on the audit log: when the log cannot be written, the Hub says so
/// (503) and shows nothing.</summary>
[NonParallelizable]
public sealed class AuditUnavailableTests
{
    [Test]
    public async Task A_lookup_the_audit_log_cannot_record_is_refused_with_503_and_discloses_nothing()
    {
        var file = Path.Combine(Path.GetTempPath(), $"hub-noaudit-{Guid.NewGuid():N}", "hub.db");
        await using var hub = new HubFactory(HubFactory.Embedded(file));
        using var court = await hub.ClientAsAsync(Court);
        using var post = await court.PostAsJsonAsync($"/api/adapters/court/{Court}/notices", Company("NOAUDIT-1"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await Eventually.Get(async () => (await court.GetAsync($"/api/subjects?uscc={CompanyUscc}")).IsSuccessStatusCode ? "found" : null, "the company");

        // the audit log refuses every new entry from now on
        await using (var c = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log refused'); END;";
            await cmd.ExecuteNonQueryAsync();
        }
        using var lookup = await court.GetAsync($"/api/subjects?uscc={CompanyUscc}");
        var text = await lookup.Content.ReadAsStringAsync();
        Assert.That(lookup.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), text);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.That(problem.GetProperty("type").GetString(), Is.EqualTo("urn:hub:problem:audit-unavailable"));
        Assert.That(text, Does.Not.Contain("安徽皖东").And.Not.Contain(CompanyUscc), "nothing about the subject");
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }
}
