using Hub.Domain.Identifiers;

namespace Hub.Domain.Tests.Identifiers;

public sealed class ResidentIdNumberTests
{
    private const string StandardExample = "11010519491231002X";

    [TestCase("11010519491231002X")]
    [TestCase("11010519491231002x", TestName = "lower-case x")]
    [TestCase("１１０１０５１９４９１２３１００２Ｘ", TestName = "full-width")]
    public void Check_StandardExample_IsValid(string input)
    {
        var c = ResidentIdNumber.Check(input);
        Assert.That(c.IsValid, Is.True, c.Reason);
        Assert.That(c.Normalized, Is.EqualTo(StandardExample));
    }

    [Test]
    public void Check_FirstGeneration_IsUpgradedTo18()
    {
        var c = ResidentIdNumber.Check("110105491231002");
        Assert.That(c.IsValid, Is.True, c.Reason);
        Assert.That(c.Normalized, Is.EqualTo(StandardExample));
    }

    [Test]
    public void Check_Masked_IsAWeakValidKey()
    {
        var c = ResidentIdNumber.Check("3423011964****3224");
        Assert.Multiple(() =>
        {
            Assert.That(c.IsValid, Is.True, c.Reason);
            Assert.That(c.Scheme, Is.EqualTo(IdentifierScheme.ResidentIdMasked));
        });
    }

    [TestCase("11010519491231002Y", "position 18 must be a digit or X")]
    [TestCase("110105194912310021", "check character is '1', expected 'X'")]
    [TestCase("110105194913310020", "positions 7-14 are not a birth date")]
    [TestCase("990105194912310021", "region code 990105 names no province")]
    [TestCase("1101051949123100", "18 characters (or 15 for the first generation), this has 16")]
    [TestCase("3423011964***3224", "positions 11-14 as ****")]
    public void Check_Invalid_SaysPreciselyWhy(string input, string reason)
    {
        var c = ResidentIdNumber.Check(input);
        Assert.That(c.IsValid, Is.False);
        Assert.That(c.Reason, Does.Contain(reason));
    }

    [TestCase("810000199001011234")]
    public void Check_ResidencePermitPrefixes_AreAccepted(string body)
    {
        var number = body[..17] + ResidentIdNumber.CheckCharacter(body.AsSpan(0, 17));
        Assert.That(ResidentIdNumber.Check(number).IsValid, Is.True);
    }

    /// <summary>Property: ISO 7064 MOD 11-2 detects every single-digit substitution. Exhaustive over all 18 positions.</summary>
    [Test]
    public void Check_AnySingleCharacterChanged_IsRejected()
    {
        var accepted = new List<string>();
        for (var pos = 0; pos < 18; pos++)
            foreach (var ch in "0123456789X")
            {
                if (ch == StandardExample[pos]) continue;
                var changed = StandardExample[..pos] + ch + StandardExample[(pos + 1)..];
                if (ResidentIdNumber.Check(changed).IsValid) accepted.Add(changed);
            }
        Assert.That(accepted, Is.Empty);
    }

    [Test]
    public void MaskAllIn_MasksEveryPossibleNumberInFreeTextAndLeavesOtherCodesAlone()
    {
        var text = "Key: 11010519491231002x; old 110105491231002; uscc 9134112215678901XC; order 12345; id 0190a3b2c4d5e6f70190a3b2c4d5e6f7";
        Assert.That(ResidentIdNumber.MaskAllIn(text), Is.EqualTo(
            "Key: 1101051949****002X; old 11010549****002; uscc 9134112215678901XC; order 12345; id 0190a3b2c4d5e6f70190a3b2c4d5e6f7"));
    }

    [Test]
    public void MaskNumber_HidesBirthMonthAndDay()
    {
        Assert.That(ResidentIdNumber.MaskNumber(StandardExample), Is.EqualTo("1101051949****002X"));
    }

    [Test]
    public void BirthDate_IsReadFromPositions7To14()
    {
        Assert.That(ResidentIdNumber.BirthDate(StandardExample), Is.EqualTo(new DateOnly(1949, 12, 31)));
    }
}
