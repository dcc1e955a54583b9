using Hub.Domain.Identifiers;

namespace Hub.Domain.Tests.Identifiers;

public sealed class UsccTests
{
    private const string StandardExample = "91350100M000100Y43";

    [Test]
    public void Check_StandardExample_IsValid()
    {
        var c = Uscc.Check(StandardExample);
        Assert.Multiple(() =>
        {
            Assert.That(c.IsValid, Is.True, c.Reason);
            Assert.That(c.Normalized, Is.EqualTo(StandardExample));
            Assert.That(c.Scheme, Is.EqualTo(IdentifierScheme.Uscc));
        });
    }

    [TestCase("９１３５０１００Ｍ０００１００Ｙ４３", TestName = "full-width")]
    [TestCase(" 91350100m000100y43 ", TestName = "lower case and spaces")]
    [TestCase("9135 0100 M000 100Y 43", TestName = "grouped with spaces")]
    public void Check_NormalisesBeforeValidating(string input)
    {
        var c = Uscc.Check(input);
        Assert.That(c.IsValid, Is.True, c.Reason);
        Assert.That(c.Normalized, Is.EqualTo(StandardExample));
    }

    [TestCase("91350100M000100Y4", "18 characters, this has 17")]
    [TestCase("91350100M000100Y44", "check character is '4', expected '3'")]
    [TestCase("9135010OM000100Y43", "'O' at position 8 is not in the USCC alphabet")]
    [TestCase("91A50100M000100Y43", "positions 3-8 (region code) must be digits")]
    [TestCase("91990100M000100Y43", "region code 990100 names no province")]
    public void Check_Invalid_SaysPreciselyWhy(string input, string reason)
    {
        var c = Uscc.Check(input);
        Assert.That(c.IsValid, Is.False);
        Assert.That(c.Reason, Does.Contain(reason));
    }

    /// <summary>Property: the weights are non-zero mod the prime 31, so changing any one character to any other
    /// alphabet character changes the checksum. Checked exhaustively (18 positions × 30 substitutes).</summary>
    [Test]
    public void Check_AnySingleCharacterChanged_IsRejected()
    {
        var accepted = new List<string>();
        for (var pos = 0; pos < 18; pos++)
            foreach (var ch in Uscc.Alphabet)
            {
                if (ch == StandardExample[pos]) continue;
                var changed = StandardExample[..pos] + ch + StandardExample[(pos + 1)..];
                if (Uscc.Check(changed).IsValid) accepted.Add(changed);
            }
        Assert.That(accepted, Is.Empty);
    }

    [Test]
    public void EmbeddedOrganizationCode_IsPositions9To17()
    {
        Assert.That(Uscc.EmbeddedOrganizationCode(StandardExample), Is.EqualTo("M000100Y4"));
    }
}
