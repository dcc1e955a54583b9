using Hub.Domain.Identifiers;

namespace Hub.Domain.Tests.Identifiers;

public sealed class OrganizationCodeTests
{
    [TestCase("M000100Y4", TestName = "embedded in the standard's USCC example")]
    [TestCase("15678901X", TestName = "check X")]
    [TestCase("15678901-X", TestName = "with hyphen")]
    public void Check_Valid(string input)
    {
        var c = OrganizationCode.Check(input);
        Assert.That(c.IsValid, Is.True, c.Reason);
        Assert.That(c.Normalized, Does.Not.Contain("-"));
    }

    [TestCase("15678901Y", "check character is 'Y', expected 'X'")]
    [TestCase("1567890X", "9 characters")]
    [TestCase("1567890#X", "'#' at position 8")]
    public void Check_Invalid_SaysPreciselyWhy(string input, string reason)
    {
        var c = OrganizationCode.Check(input);
        Assert.That(c.IsValid, Is.False);
        Assert.That(c.Reason, Does.Contain(reason));
    }

    /// <summary>Property for digits: weights are non-zero mod 11 and digits differ by less than 11, so every single-digit
    /// substitution in the body is caught. (Letters are worth 10-35: 'B' and '0' differ by 11, a change GB 11714 cannot see.)</summary>
    [Test]
    public void Check_AnySingleDigitChanged_IsRejected()
    {
        const string valid = "15678901X";
        var accepted = new List<string>();
        for (var pos = 0; pos < 9; pos++)
            foreach (var ch in "0123456789X")
            {
                if (ch == valid[pos] || (pos < 8 && ch == 'X')) continue;
                var changed = valid[..pos] + ch + valid[(pos + 1)..];
                if (OrganizationCode.Check(changed).IsValid) accepted.Add(changed);
            }
        Assert.That(accepted, Is.Empty);
    }
}
