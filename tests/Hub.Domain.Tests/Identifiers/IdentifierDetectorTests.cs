using Hub.Domain.Identifiers;

namespace Hub.Domain.Tests.Identifiers;

public sealed class IdentifierDetectorTests
{
    [TestCase("91350100M000100Y43", IdentifierScheme.Uscc, true)]
    [TestCase("91350100M000100Y44", IdentifierScheme.Uscc, false)]
    [TestCase("11010519491231002X", IdentifierScheme.ResidentId, true)]
    [TestCase("110105194912310021", IdentifierScheme.ResidentId, false)]
    [TestCase("110105491231002", IdentifierScheme.ResidentId, true)]
    [TestCase("3423011964****3224", IdentifierScheme.ResidentIdMasked, true)]
    [TestCase("M000100Y4", IdentifierScheme.OrganizationCode, true)]
    public void Check_TellsTheSchemeByShape(string input, IdentifierScheme scheme, bool valid)
    {
        var c = IdentifierDetector.Check(input);
        Assert.That(c.Scheme, Is.EqualTo(scheme));
        Assert.That(c.IsValid, Is.EqualTo(valid), c.Reason);
    }

    [TestCase("（北京）某某科技有限公司", "(北京)某某科技有限公司")]
    [TestCase("某某 科技 有限公司", "某某科技有限公司")]
    [TestCase("Ａｂｃ Co., Ltd.", "ABCCO,LTD")]
    public void NameNormalizer_FoldsWidthBracketsSpaceAndCase(string input, string expected)
    {
        Assert.That(NameNormalizer.Normalize(input), Is.EqualTo(expected));
    }

    [TestCase("买买提·艾力")]
    [TestCase("买买提•艾力")]
    [TestCase("买买提．艾力")]
    [TestCase("买买提・艾力")]
    [TestCase("买买提･艾力")]
    [TestCase("买买提.艾力")]
    [TestCase("买买提‧艾力")]
    [TestCase("买买提∙艾力")]
    [TestCase("买买提ꞏ艾力")]
    [TestCase("买买提。艾力")]
    [TestCase("买买提-艾力")]
    [TestCase("买买提－艾力")]
    [TestCase("买买提—艾力")]
    [TestCase("买买提 · 艾力")]
    [TestCase("买买提艾力")]
    public void NameNormalizer_DropsTheSeparatorDotOfAMinorityNameHoweverItIsWritten(string input)
    {
        Assert.That(NameNormalizer.Normalize(input), Is.EqualTo("买买提艾力"));
    }

    [Test]
    public void NameNormalizer_LeavesHanNamesAsTheyAreAndCanKeepTheSeparatorsForIdentitiesMadeBefore()
    {
        Assert.That(new[] { "张伟", "张玮", "欧阳娜娜", "阿依古丽" }.Select(NameNormalizer.Normalize), Is.EqualTo(new[] { "张伟", "张玮", "欧阳娜娜", "阿依古丽" }));
        Assert.That(NameNormalizer.Normalize("买买提 · 艾力", keepSeparators: true), Is.EqualTo("买买提·艾力"), "a court notice's source record id made from the name");
    }
}
