using Hub.Contracts;
using Hub.Domain.Intake;

namespace Hub.Domain.Tests;

public sealed class TextGuardTests
{
    private static JudgmentDefaulterListed Record(string name, string caseNumber = "(2026)皖1122执1194号") => new()
    {
        Source = new SourceStamp { AgencyCode = "COURT-34-1122", SourceRecordId = "LA-1", Revision = 1 },
        LegalBasis = "JD-4",
        CaseNumber = caseNumber,
        EnforcingCourt = "来安县人民法院",
        Subject = new SubjectReference { Kind = SubjectKind.Organization, Name = name, Uscc = "9134112215678901XC" },
        DecisionDate = new DateOnly(2026, 6, 11),
    };

    [Test]
    public void Names_beyond_the_basic_plane_are_text()
    {
        // 𠮷 (U+20BB7) is a surrogate pair in .NET strings; such characters occur in Chinese personal and place names
        Assert.That(TextGuard.Find(Record("𠮷野家餐饮有限公司")), Is.Null);
        Assert.That(TextGuard.Storable("𠮷野家"), Is.EqualTo("𠮷野家"));
    }

    [Test]
    public void A_nul_character_is_found_with_its_field_and_position_but_not_the_value()
    {
        var r = TextGuard.Find(Record("安徽\0建设"));

        Assert.That(r, Is.EqualTo(new Rejection(Rejection.InvalidText, "subject.name holds a NUL character (U+0000) at position 3, which cannot be stored")));
    }

    // attribute strings cannot carry an unpaired surrogate (metadata stores them as UTF-8), so the cases build it
    [TestCase("", 0xD800, "", 1)]
    [TestCase("ab", 0xDC00, "", 3)]
    [TestCase("𠮷", 0xD800, "x", 3)]
    public void An_unpaired_surrogate_is_found(string before, int surrogate, string after, int position)
    {
        var caseNumber = before + (char)surrogate + after;

        Assert.That(TextGuard.Find(Record("公司", caseNumber))?.Reason, Is.EqualTo($"caseNumber holds an unpaired surrogate at position {position}, which cannot be stored"));
    }

    [Test]
    public void Storable_replaces_only_what_cannot_be_stored()
    {
        Assert.That(TextGuard.Storable("A\0B" + (char)0xD800 + "C𠮷"), Is.EqualTo("A\uFFFDB\uFFFDC𠮷"));
        Assert.That(TextGuard.Storable(null), Is.Null);
    }
}
