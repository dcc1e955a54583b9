using Hub.Aggregator.Applying;
using Hub.Contracts;
using Hub.Domain.Identifiers;
using Hub.Testing;
using static Hub.Storage.Tests.Samples;

namespace Hub.Storage.Tests;

/// <summary>
/// Linking what exact keys miss: a person named in a public notice by the masked ID number (region, birth year and the
/// last four characters) and a name is the person the index knows by the whole number — and never somebody else.
/// </summary>
[TestFixture(typeof(SqliteTarget))]
[TestFixture(typeof(PostgresTarget))]
public sealed class EntityResolutionTests<TTarget> : IndexFixture<TTarget> where TTarget : IIndexTarget, new()
{
    /// <summary>A valid 18-character number: region 341122, born on <paramref name="birth"/>, sequence <paramref name="sequence"/>.</summary>
    private static string Ric(string birth, string sequence = "361")
    {
        var first17 = "341122" + birth + sequence;
        return first17 + ResidentIdNumber.CheckCharacter(first17);
    }

    private static JudgmentDefaulterListed Person(string sourceId, string ric, string name = "王建国") => new()
    {
        Source = new SourceStamp { AgencyCode = Court, SourceRecordId = sourceId },
        LegalBasis = "JD-4",
        CaseNumber = $"(2026)皖1122执{sourceId}号",
        EnforcingCourt = "来安县人民法院",
        Subject = new SubjectReference { Kind = SubjectKind.Person, Name = name, ResidentIdNumber = ric },
        DecisionDate = new DateOnly(2026, 6, 11),
    };

    private readonly Dictionary<string, string> _subjectOf = [];
    private readonly Dictionary<string, string> _parentOf = [];
    private readonly List<OutboxRow> _events = [];

    /// <summary>NUnit keeps one fixture instance for all its tests: what one test noted must not reach the next.</summary>
    [SetUp]
    public void Forget()
    {
        _subjectOf.Clear();
        _parentOf.Clear();
        _events.Clear();
    }

    /// <summary>Applies the records as one batch, and notes which subject each listing record went to (from its
    /// <c>SubjectListed</c>, issued listings in record order).</summary>
    private async Task Apply(params object[] records)
    {
        await ApplyStep.ApplyAsync(records.Select(r => In(r)).ToList(), CancellationToken.None);
        var rows = await Db.PendingOutboxAsync(10_000, CancellationToken.None);
        await Db.MarkPublishedAsync(rows.Select(r => r.Id).ToList(), CancellationToken.None);
        _events.AddRange(rows);
        var issued = rows.Where(r => r.MessageType == nameof(SubjectListed))
            .Select(r => System.Text.Json.JsonSerializer.Deserialize<SubjectListed>(r.Payload, Incoming.Json)!)
            .Where(e => e.ImputedFromListingId is null).ToList();
        var listings = records.OfType<JudgmentDefaulterListed>().ToList();
        Assert.That(issued, Has.Count.EqualTo(listings.Count), "every listing record applied");
        for (var i = 0; i < listings.Count; i++)
        {
            _subjectOf[listings[i].Source.SourceRecordId] = issued[i].HubSubjectId;
            _parentOf[listings[i].Source.SourceRecordId] = issued[i].ListingId;
        }
    }

    private Task<Dictionary<string, string>> SubjectOf(params string[] sourceIds) =>
        Task.FromResult(sourceIds.ToDictionary(id => id, id => _subjectOf[id]));

    [Test]
    public async Task A_notice_with_the_masked_number_and_the_name_links_to_the_person_known_by_the_whole_number()
    {
        var whole = Ric("19780512");
        await Apply(Person("P-1", whole));

        await Apply(Person("P-2", ResidentIdNumber.MaskNumber(whole)));

        var subjects = await SubjectOf("P-1", "P-2");
        Assert.That(subjects["P-2"], Is.EqualTo(subjects["P-1"]), "one person, two listings");
        var detail = await Db.SubjectDetailAsync(subjects["P-1"], CancellationToken.None);
        Assert.That(detail!.Listings, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task With_weak_resolution_off_the_masked_notice_is_a_person_of_its_own_with_its_weak_key_stored()
    {
        var whole = Ric("19780513");
        await Apply(Person("P-1", whole));
        var strongOnly = Applier(Db, Time, Metrics, new Hub.Aggregator.AggregatorOptions { WeakResolution = false });

        await strongOnly.ApplyAsync([In(Person("P-2", ResidentIdNumber.MaskNumber(whole)))], CancellationToken.None);
        var rows = await Db.PendingOutboxAsync(100, CancellationToken.None);
        await Db.MarkPublishedAsync(rows.Select(r => r.Id).ToList(), CancellationToken.None);
        var p2 = rows.Where(r => r.MessageType == nameof(SubjectListed))
            .Select(r => System.Text.Json.JsonSerializer.Deserialize<SubjectListed>(r.Payload, Incoming.Json)!).Single().HubSubjectId;
        var subjects = await SubjectOf("P-1");
        Assert.That(p2, Is.Not.EqualTo(subjects["P-1"]), "strong keys only: nobody known by the masked number");
        var identifiers = (await Db.SubjectDetailAsync(p2, CancellationToken.None))!.Identifiers;
        Assert.That(identifiers.Select(i => i.Scheme), Does.Contain("ric-masked"), "the weak key is stored");
    }

    [Test]
    public async Task A_person_known_only_by_the_masked_number_gets_the_whole_number_when_a_record_brings_it()
    {
        var whole = Ric("19780512");
        await Apply(Person("P-1", ResidentIdNumber.MaskNumber(whole)));

        await Apply(Person("P-2", whole));

        var subjects = await SubjectOf("P-1", "P-2");
        Assert.That(subjects["P-2"], Is.EqualTo(subjects["P-1"]));
        Assert.That(await Db.FindSubjectIdAsync("ric", whole, CancellationToken.None), Is.EqualTo(subjects["P-1"]), "the whole number now finds the person");
    }

    [Test]
    public async Task In_one_batch_the_masked_notice_after_the_whole_one_links_too()
    {
        var whole = Ric("19780512");
        await Apply(Person("P-1", whole), Person("P-2", ResidentIdNumber.MaskNumber(whole)));

        var subjects = await SubjectOf("P-1", "P-2");
        Assert.That(subjects["P-2"], Is.EqualTo(subjects["P-1"]));
    }

    [Test]
    public async Task The_masked_number_with_another_name_is_another_person()
    {
        var whole = Ric("19780512");
        await Apply(Person("P-1", whole, name: "王建国"));

        await Apply(Person("P-2", ResidentIdNumber.MaskNumber(whole), name: "王建华"));

        var subjects = await SubjectOf("P-1", "P-2");
        Assert.That(subjects["P-2"], Is.Not.EqualTo(subjects["P-1"]));
    }

    [Test]
    public async Task Two_people_with_the_same_common_name_and_birth_date_are_kept_apart_and_each_masked_notice_finds_its_own()
    {
        var first = Ric("19780512", "361");
        var second = Ric("19780512", "475");
        await Apply(Person("P-1", first, name: "张伟"), Person("P-2", second, name: "张伟"));

        await Apply(Person("P-3", ResidentIdNumber.MaskNumber(second), name: "张伟"), Person("P-4", ResidentIdNumber.MaskNumber(Ric("19780512", "583")), name: "张伟"));

        var subjects = await SubjectOf("P-1", "P-2", "P-3", "P-4");
        Assert.That(subjects["P-1"], Is.Not.EqualTo(subjects["P-2"]), "different whole numbers: different people, whatever the name");
        Assert.That(subjects["P-3"], Is.EqualTo(subjects["P-2"]), "the masked number fits the second only");
        Assert.That(subjects["P-4"], Is.Not.AnyOf(subjects["P-1"], subjects["P-2"]), "same name and birth date, masked number of neither: nobody known");
    }

    [Test]
    public async Task A_masked_number_that_fits_two_people_of_the_same_name_links_to_neither()
    {
        // two whole numbers that differ only in the hidden month and day: same masked form
        var first = Ric("19780512");
        var second = Enumerable.Range(1, 28).Select(d => Ric($"197806{d:00}")).First(r => ResidentIdNumber.MaskNumber(r) == ResidentIdNumber.MaskNumber(first));
        await Apply(Person("P-1", first, name: "李娜"), Person("P-2", second, name: "李娜"));

        await Apply(Person("P-3", ResidentIdNumber.MaskNumber(first), name: "李娜"));

        var subjects = await SubjectOf("P-1", "P-2", "P-3");
        Assert.That(subjects["P-3"], Is.Not.AnyOf(subjects["P-1"], subjects["P-2"]));
    }

    [Test]
    public async Task A_whole_number_never_links_to_a_person_known_by_another_whole_number_with_the_same_masked_form()
    {
        var first = Ric("19780512");
        var second = Enumerable.Range(1, 28).Select(d => Ric($"197806{d:00}")).First(r => ResidentIdNumber.MaskNumber(r) == ResidentIdNumber.MaskNumber(first));
        await Apply(Person("P-1", first, name: "李娜"));

        await Apply(Person("P-2", second, name: "李娜"));

        var subjects = await SubjectOf("P-1", "P-2");
        Assert.That(subjects["P-2"], Is.Not.EqualTo(subjects["P-1"]));
    }

    [Test]
    public async Task A_legal_representative_named_by_the_masked_number_is_the_person_known_by_the_whole_one()
    {
        await Apply(Person("P-1", RepRic));

        await Apply(Listed("LA-1194", repName: "王建国", repRic: ResidentIdNumber.MaskNumber(RepRic)));

        var person = await Db.FindSubjectIdAsync("ric", RepRic, CancellationToken.None);
        var listings = await Db.ListingsOfAsync(person!, CancellationToken.None);
        Assert.That(listings.Select(l => l.SourceRecordId), Is.EquivalentTo(new[] { "P-1", "LA-1194" }), "the company's listing is imputed to the person already known");
    }

    [Test]
    public async Task A_notice_with_the_masked_number_the_birth_date_and_a_name_a_character_off_is_the_person_known_by_the_whole_number()
    {
        var whole = Ric("19780512");
        await Apply(Person("P-1", whole));
        var typed = Person("P-2", ResidentIdNumber.MaskNumber(whole), "王建华");

        await Apply(typed with { Subject = typed.Subject with { BirthDate = new DateOnly(1978, 5, 12) } });
        await Apply(Person("P-3", ResidentIdNumber.MaskNumber(whole), "王建华"));
        await Apply(Person("P-4", ResidentIdNumber.MaskNumber(whole), "汪建国") with { Subject = typed.Subject with { Name = "汪建国", BirthDate = new DateOnly(1978, 5, 12) } });

        var subjects = await SubjectOf("P-1", "P-2", "P-3", "P-4");
        Assert.That(subjects["P-2"], Is.EqualTo(subjects["P-1"]), "the masked number and birth date are the whole number: the given name mistyped");
        Assert.That(subjects["P-3"], Is.Not.EqualTo(subjects["P-1"]), "without the birth date, another name is another person");
        Assert.That(subjects["P-4"], Is.Not.EqualTo(subjects["P-1"]).And.Not.EqualTo(subjects["P-3"]), "another surname too");
    }

    /// <summary>What the migrations since the masked form (and those after it) added, taken away again.</summary>
    private const string Earlier = "DELETE FROM subject_identifiers WHERE scheme = 'ric-masked'; DROP INDEX ix_subject_identifiers_subject_scheme; CREATE INDEX ix_subject_identifiers_subject ON subject_identifiers (subject_id); DROP INDEX ix_subjects_name_separator; DROP INDEX ix_subjects_core_missing; DROP INDEX ix_subjects_core_name; " +
                                   "DROP INDEX ix_subjects_person_name; ALTER TABLE subjects DROP COLUMN core_name; ALTER TABLE failed_messages DROP COLUMN records; ";

    [Test]
    public async Task Migrating_gives_the_whole_numbers_an_earlier_build_stored_their_masked_form()
    {
        var whole = Ric("19780512");
        await Apply(Person("P-1", whole));
        // as an earlier build left it: the whole number without its masked form
        await Target.ExecuteAsync(
            Earlier + "DELETE FROM schema_version WHERE version >= 11;",
            Earlier + "DELETE FROM schema_version WHERE version >= 12;");

        await Db.MigrateAsync(CancellationToken.None);
        await Db.MigrateAsync(CancellationToken.None);
        await Apply(Person("P-2", ResidentIdNumber.MaskNumber(whole)));

        var subjects = await SubjectOf("P-1", "P-2");
        Assert.That(subjects["P-2"], Is.EqualTo(subjects["P-1"]));
    }

    private static OrganizationRegistered Registered(string sourceId, string repName, string repRic, DateOnly on) => new()
    {
        Source = new SourceStamp { AgencyCode = "MARKET-33", SourceRecordId = sourceId },
        LegalBasis = "MKT-REG",
        Organization = new SubjectReference { Kind = SubjectKind.Organization, Name = "安徽皖东建设工程有限公司", Uscc = CompanyUscc },
        LegalRepresentative = new SubjectReference { Kind = SubjectKind.Person, Name = repName, ResidentIdNumber = repRic },
        RegisteredOn = on,
    };

    private static JudgmentDefaulterListed CompanyWithoutRepresentative(string sourceId, DateOnly decided) =>
        Listed(sourceId, decided: decided) with { LegalRepresentative = null };

    [Test]
    public async Task A_listing_naming_no_representative_is_imputed_to_the_one_the_index_knows_for_its_decision_date()
    {
        var former = Ric("19700101", "113");
        var current = Ric("19820202", "227");
        await Apply(Registered("REG-1", "赵前任", former, new DateOnly(2024, 1, 1)));
        await Apply(Registered("REG-2", "钱现任", current, new DateOnly(2026, 3, 1)));

        await Apply(CompanyWithoutRepresentative("LA-NOW", new DateOnly(2026, 6, 11)), CompanyWithoutRepresentative("LA-THEN", new DateOnly(2025, 6, 1)),
            CompanyWithoutRepresentative("LA-BEFORE", new DateOnly(2023, 6, 1)));

        var formerId = await Db.FindSubjectIdAsync("ric", former, CancellationToken.None);
        var currentId = await Db.FindSubjectIdAsync("ric", current, CancellationToken.None);
        Assert.That((await Db.ListingsOfAsync(currentId!, CancellationToken.None)).Select(l => l.SourceRecordId), Is.EqualTo(new[] { "LA-NOW" }));
        Assert.That((await Db.ListingsOfAsync(formerId!, CancellationToken.None)).Select(l => l.SourceRecordId), Is.EqualTo(new[] { "LA-THEN" }),
            "decided while the former representative was in office; before any known representative: nobody");
        var imputed = (await Db.ListingsOfAsync(currentId!, CancellationToken.None)).Single();
        Assert.That((imputed.ImputedRole, imputed.ParentListingId), Is.EqualTo(("legal-representative", (string?)_parentOf["LA-NOW"])));
    }

    [Test]
    public async Task A_representative_changed_earlier_in_the_same_batch_is_the_one_imputed()
    {
        var former = Ric("19700101", "113");
        var current = Ric("19820202", "227");
        await Apply(Registered("REG-1", "赵前任", former, new DateOnly(2024, 1, 1)),
            Registered("REG-2", "钱现任", current, new DateOnly(2026, 3, 1)),
            CompanyWithoutRepresentative("LA-NOW", new DateOnly(2026, 6, 11)), CompanyWithoutRepresentative("LA-THEN", new DateOnly(2025, 6, 1)));

        var formerId = await Db.FindSubjectIdAsync("ric", former, CancellationToken.None);
        var currentId = await Db.FindSubjectIdAsync("ric", current, CancellationToken.None);
        Assert.That((await Db.ListingsOfAsync(currentId!, CancellationToken.None)).Select(l => l.SourceRecordId), Is.EqualTo(new[] { "LA-NOW" }));
        Assert.That((await Db.ListingsOfAsync(formerId!, CancellationToken.None)).Select(l => l.SourceRecordId), Is.EqualTo(new[] { "LA-THEN" }));
    }

    /// <summary>A company listing (its own USCC) whose legal representative is named by name and birth date only.</summary>
    private static JudgmentDefaulterListed CompanyWithRepresentativeByBirthDate(string sourceId, int n, string name = "张伟") =>
        Listed(sourceId, uscc: TestIdentifiers.Uscc(n)) with
        {
            LegalRepresentative = new SubjectReference { Kind = SubjectKind.Person, Name = name, BirthDate = new DateOnly(1978, 5, 12) },
        };

    private static OutboxRow Event(MergeOutcome m, string type) => new()
    {
        MessageType = type, Payload = $$"""{"into":"{{m.IntoId}}","merged":"{{m.MergedId}}","listings":{{m.Listings.Count}}}""", CreatedAt = Samples.Now, OrderingKey = m.IntoId,
    };

    private static Audit.AuditEntry Audit(string action) => new(Samples.Now, "operator:test", null, action, "operate", null, "ok", action, "test");

    private async Task<string> RepresentativeOf(string uscc) =>
        (await Db.SubjectDetailAsync((await Db.FindSubjectIdAsync("uscc", uscc, CancellationToken.None))!, CancellationToken.None))!
        .Relations.Single(r => r.ValidTo is null).PersonId;

    [Test]
    public async Task A_new_person_with_the_name_and_birth_date_of_a_known_one_is_kept_apart_and_queued_for_review()
    {
        await Apply(Person("P-1", Ric("19780512"), name: "张伟"));

        await Apply(CompanyWithRepresentativeByBirthDate("LA-R1", 9101));

        var known = _subjectOf["P-1"];
        var rep = await RepresentativeOf(TestIdentifiers.Uscc(9101));
        Assert.That(rep, Is.Not.EqualTo(known), "never linked on name evidence alone");
        var review = (await Db.ReviewsAsync("pending", 10, CancellationToken.None)).Single();
        Assert.That((review.SubjectA, review.SubjectB), Is.EqualTo((known, rep)));
        Assert.That(review.Score, Is.EqualTo(0.65).Within(1e-9), "name 0.45 and birth date 0.2: the grey zone");
        Assert.That(review.Evidence, Does.Contain("the same name").And.Contain("the same birth date"));
    }

    [Test]
    public async Task Judged_the_same_the_pair_is_merged_later_records_go_to_the_survivor_and_undoing_it_splits_them()
    {
        await Apply(Person("P-1", Ric("19780512"), name: "张伟"));
        await Apply(CompanyWithRepresentativeByBirthDate("LA-R1", 9101));
        var known = _subjectOf["P-1"];
        var rep = await RepresentativeOf(TestIdentifiers.Uscc(9101));
        var review = (await Db.ReviewsAsync("pending", 10, CancellationToken.None)).Single();
        await Db.MarkPublishedAsync((await Db.PendingOutboxAsync(100, CancellationToken.None)).Select(r => r.Id).ToList(), CancellationToken.None);

        var (decided, merged) = await Db.DecideReviewAsync(review.Id, true, "operator:test", "same ID card seen", Audit("reviews.decide"),
            m => Event(m, "SubjectsMerged"), CancellationToken.None);

        Assert.That(decided, Is.True);
        Assert.That((merged!.IntoId, merged.MergedId, merged.Listings.Count), Is.EqualTo((known, rep, 1)), "the imputed listing moved");
        var survivor = await Db.SubjectDetailAsync(rep, CancellationToken.None);
        Assert.That(survivor!.Subject.Id, Is.EqualTo(known), "the merged-away id resolves to the survivor");
        Assert.That(survivor.Listings.Select(l => l.SourceRecordId), Is.EquivalentTo(new[] { "P-1", "LA-R1" }));
        Assert.That((await Db.PendingOutboxAsync(100, CancellationToken.None)).Select(r => r.MessageType), Is.EqualTo(new[] { "SubjectsMerged" }));

        // a later record with the same name and birth date and nothing stronger: the operator's judgement is reused
        await Apply(CompanyWithRepresentativeByBirthDate("LA-R2", 9102));
        Assert.That(await RepresentativeOf(TestIdentifiers.Uscc(9102)), Is.EqualTo(known));
        Assert.That(await Db.ReviewsAsync("pending", 10, CancellationToken.None), Is.Empty, "nothing new to review");

        var (undone, split) = await Db.UndoReviewAsync(review.Id, "operator:test", Audit("reviews.undo"), m => Event(m, "SubjectSplit"), CancellationToken.None);
        Assert.That(undone, Is.True);
        Assert.That((split!.IntoId, split.MergedId), Is.EqualTo((known, rep)));
        var restored = await Db.SubjectDetailAsync(rep, CancellationToken.None);
        Assert.That(restored!.Subject.Id, Is.EqualTo(rep));
        Assert.That(restored.Listings.Select(l => l.SourceRecordId), Is.EqualTo(new[] { "LA-R1" }), "its own listing back");
        Assert.That((await Db.ReviewsAsync("pending", 10, CancellationToken.None)).Single().Id, Is.EqualTo(review.Id), "pending again");
    }

    [Test]
    public async Task The_view_read_by_an_identifier_is_the_view_read_by_hub_id_and_follows_a_merge()
    {
        await Apply(Person("P-1", Ric("19780512"), name: "张伟"));
        await Apply(CompanyWithRepresentativeByBirthDate("LA-R1", 9101));
        var known = _subjectOf["P-1"];
        var company = _subjectOf["LA-R1"];
        var rep = await RepresentativeOf(TestIdentifiers.Uscc(9101));

        var byId = (await Db.SubjectDetailAsync(company, CancellationToken.None))!;
        var byUscc = (await Db.SubjectDetailByIdentifierAsync("uscc", TestIdentifiers.Uscc(9101), CancellationToken.None))!;
        Assert.That(System.Text.Json.JsonSerializer.Serialize(byUscc), Is.EqualTo(System.Text.Json.JsonSerializer.Serialize(byId)), "every part of it");
        Assert.That(byUscc.Related.Select(s => s.Id), Is.EqualTo(new[] { rep }), "one hop out: the representative");
        Assert.That(byUscc.RelatedListings.Select(l => l.SourceRecordId), Is.Empty, "the representative's imputed listing is not an issued one");
        Assert.That(await Db.SubjectDetailByIdentifierAsync("uscc", TestIdentifiers.Uscc(9199), CancellationToken.None), Is.Null, "nobody has it");
        var repKey = (await Db.SubjectDetailAsync(rep, CancellationToken.None))!.Identifiers.First();

        var review = (await Db.ReviewsAsync("pending", 10, CancellationToken.None)).Single();
        await Db.DecideReviewAsync(review.Id, true, "operator:test", null, Audit("reviews.decide"), m => Event(m, "SubjectsMerged"), CancellationToken.None);

        var survivor = (await Db.SubjectDetailByIdentifierAsync(repKey.Scheme, repKey.Value, CancellationToken.None))!;
        Assert.That(survivor.Subject.Id, Is.EqualTo(known), "the merged-away subject's key reads the survivor");
        Assert.That(survivor.Related.Select(s => s.Id), Is.EqualTo(new[] { company }));
        Assert.That(survivor.RelatedListings.Select(l => l.SourceRecordId), Is.EqualTo(new[] { "LA-R1" }), "the company's issued listing, one hop out");
    }

    [Test]
    public async Task Judged_not_the_same_the_pair_stays_apart_and_is_not_queued_again()
    {
        await Apply(Person("P-1", Ric("19780512"), name: "张伟"));
        await Apply(CompanyWithRepresentativeByBirthDate("LA-R1", 9101));
        var review = (await Db.ReviewsAsync("pending", 10, CancellationToken.None)).Single();

        var (decided, merged) = await Db.DecideReviewAsync(review.Id, false, "operator:test", null, Audit("reviews.decide"), m => Event(m, "SubjectsMerged"),
            CancellationToken.None);

        Assert.That((decided, merged), Is.EqualTo((true, (MergeOutcome?)null)));
        Assert.That((await Db.ReviewsAsync("not-same", 10, CancellationToken.None)).Single().Id, Is.EqualTo(review.Id));
        Assert.That(await Db.SubjectDetailAsync(review.SubjectB, CancellationToken.None) is { } b && b.Subject.Id == review.SubjectB, Is.True);
        var (again, _) = await Db.DecideReviewAsync(review.Id, true, "operator:test", null, Audit("reviews.decide"), m => Event(m, "SubjectsMerged"),
            CancellationToken.None);
        Assert.That(again, Is.False, "a judgement stands until it is taken back");
    }

    [Test]
    public async Task An_operator_merge_moves_listings_identifiers_and_relations_and_a_split_moves_them_back()
    {
        var whole = Ric("19780512");
        await Apply(Person("P-1", whole, name: "王建国"), Person("P-2", Ric("19800101", "227"), name: "王建國"));
        var (a, b) = (_subjectOf["P-1"], _subjectOf["P-2"]);

        var merged = await Db.MergeAsync(a, b, "operator:test", Audit("subjects.merge"), m => Event(m, "SubjectsMerged"), CancellationToken.None);

        Assert.That(merged!.Listings, Has.Count.EqualTo(1));
        Assert.That(await Db.FindSubjectIdAsync("ric", Ric("19800101", "227"), CancellationToken.None), Is.EqualTo(a), "its whole number finds the survivor");
        Assert.That(await Db.MergeAsync(b, a, "operator:test", Audit("subjects.merge"), m => Event(m, "SubjectsMerged"), CancellationToken.None), Is.Null,
            "a merged-away subject cannot take part in another merge");

        // a record about the merged-away person while merged goes to the survivor
        await Apply(Person("P-3", Ric("19800101", "227"), name: "王建國"));
        Assert.That(_subjectOf["P-3"], Is.EqualTo(a));

        var split = await Db.SplitAsync(b, Audit("subjects.split"), m => Event(m, "SubjectSplit"), CancellationToken.None);
        Assert.That(split!.Listings, Has.Count.EqualTo(1));
        Assert.That(await Db.FindSubjectIdAsync("ric", Ric("19800101", "227"), CancellationToken.None), Is.EqualTo(b));
        Assert.That((await Db.SubjectDetailAsync(b, CancellationToken.None))!.Listings.Select(l => l.SourceRecordId), Is.EqualTo(new[] { "P-2" }),
            "what was recorded while they were one stays with the survivor");
        Assert.That(await Db.SplitAsync(b, Audit("subjects.split"), m => Event(m, "SubjectSplit"), CancellationToken.None), Is.Null);
    }

    private static OrganizationRegistered ZhejiangCompany(string sourceId, int n, string repName, string repRic) => new()
    {
        Source = new SourceStamp { AgencyCode = "MARKET-33", SourceRecordId = sourceId },
        LegalBasis = "MKT-REG",
        Organization = new SubjectReference { Kind = SubjectKind.Organization, Name = "杭州新起点贸易有限公司", Uscc = TestIdentifiers.Uscc(n) },
        LegalRepresentative = new SubjectReference { Kind = SubjectKind.Person, Name = repName, ResidentIdNumber = repRic },
        RegisteredOn = new DateOnly(2026, 11, 20),
    };

    private Task<List<RelocationSuspected>> Relocations() => Task.FromResult(_events.Where(r => r.MessageType == nameof(RelocationSuspected))
        .Select(r => System.Text.Json.JsonSerializer.Deserialize<RelocationSuspected>(r.Payload, Incoming.Json)!).ToList());

    [Test]
    public async Task The_representative_of_a_company_listed_in_Anhui_setting_up_in_Zhejiang_raises_a_relocation_alert_with_the_evidence()
    {
        await Apply(Listed("LA-1194"));   // the Anhui company, its representative 王建国 with the whole number
        var anhui = _subjectOf["LA-1194"];

        await Apply(ZhejiangCompany("ZJ-REG-1", 9401, "王建国", RepRic));

        var alerts = await Relocations();
        var person = await Db.FindSubjectIdAsync("ric", RepRic, CancellationToken.None);
        // the company's listing, as the one they represent (the listing imputed to them derives from it: not twice)
        Assert.That(alerts.Select(a => (a.Relation, a.ListedHubSubjectId, a.ListingId)), Is.EqualTo(new[] { ("legal-representative", anhui, _parentOf["LA-1194"]) }));
        var alert = alerts.Single();
        Assert.That((alert.Province, alert.OriginProvince, alert.CrossProvince, alert.MatchScore, alert.ListType, alert.RegisteredBy),
            Is.EqualTo(("33", "34", true, 1.0, "judgment-defaulter", "MARKET-33")));
        Assert.That(alert.PersonHubSubjectId, Is.EqualTo(person));
    }

    [Test]
    public async Task A_person_listed_personally_registering_a_company_raises_an_alert_and_an_unlisted_one_does_not()
    {
        var listed = Ric("19780512");
        await Apply(Person("P-1", listed, name: "赵大勇"));

        await Apply(ZhejiangCompany("ZJ-REG-1", 9401, "赵大勇", listed), ZhejiangCompany("ZJ-REG-2", 9402, "钱清白", Ric("19800101", "227")));

        var alerts = await Relocations();
        Assert.That(alerts.Select(a => (a.HubSubjectId, a.Relation, a.ListingId)), Is.EqualTo(new[]
        {
            ((await Db.FindSubjectIdAsync("uscc", TestIdentifiers.Uscc(9401), CancellationToken.None))!, "listed", _parentOf["P-1"]),
        }));
    }

    [Test]
    public async Task A_listing_that_has_ended_raises_no_alert()
    {
        await Apply(Listed("LA-1194"), Removed("LA-1194"));

        await Apply(ZhejiangCompany("ZJ-REG-1", 9401, "王建国", RepRic));

        Assert.That(await Relocations(), Is.Empty);
    }

    /// <summary>A Zhejiang registration of a new company (its own USCC) under <paramref name="name"/>; the representative
    /// with a whole ID number or (null) without any.</summary>
    private static OrganizationRegistered Reregistered(string sourceId, int n, string name, string repName, string? repRic = null) => new()
    {
        Source = new SourceStamp { AgencyCode = "MARKET-33", SourceRecordId = sourceId },
        LegalBasis = "MKT-REG",
        Organization = new SubjectReference { Kind = SubjectKind.Organization, Name = name, Uscc = TestIdentifiers.Uscc(n) },
        LegalRepresentative = new SubjectReference { Kind = SubjectKind.Person, Name = repName, ResidentIdNumber = repRic },
        RegisteredOn = new DateOnly(2026, 11, 20),
    };

    private async Task<string> Organization(int n) => (await Db.FindSubjectIdAsync("uscc", TestIdentifiers.Uscc(n), CancellationToken.None))!;

    [Test]
    public async Task A_listed_company_reappearing_in_Zhejiang_under_its_name_with_its_representative_named_without_an_ID_number_raises_an_alert_with_the_evidence()
    {
        await Apply(Listed("LA-1194"));   // 安徽皖东建设工程有限公司, core name 皖东建设工程, representative 王建国
        var anhui = _subjectOf["LA-1194"];

        await Apply(Reregistered("ZJ-REG-1", 9401, "皖东建设工程（杭州）有限公司", "王建国"));

        var alert = (await Relocations()).Single();
        Assert.That((alert.HubSubjectId, alert.Relation, alert.ListedHubSubjectId, alert.ListingId),
            Is.EqualTo((await Organization(9401), "same-name-and-representative", anhui, _parentOf["LA-1194"])));
        Assert.That((alert.Province, alert.OriginProvince, alert.CrossProvince, alert.ListType, alert.RegisteredBy),
            Is.EqualTo(("33", "34", true, "judgment-defaulter", "MARKET-33")));
        Assert.That(alert.PersonHubSubjectId, Is.Not.EqualTo(await Db.FindSubjectIdAsync("ric", RepRic, CancellationToken.None)),
            "named without a number, the representative is a person of its own: the tie is the name");
        Assert.That(alert.Evidence!.Select(e => (e.Feature, e.Weight)), Is.EqualTo(new[]
        {
            ("name", 0.55), ("legal representative's name", 0.25), ("province", -0.05),
        }));
        Assert.That(alert.Evidence![0].Detail, Does.Contain("皖东建设工程"));
        Assert.That(alert.MatchScore, Is.EqualTo(0.75).Within(1e-9), "MatchScorer's score of the two organisations, identifiers aside");
    }

    [Test]
    public async Task A_namesake_company_with_another_representative_raises_nothing()
    {
        await Apply(Listed("LA-1194"));

        await Apply(Reregistered("ZJ-REG-1", 9401, "浙江皖东建设工程有限公司", "李明"), Reregistered("ZJ-REG-2", 9402, "杭州新起点贸易有限公司", "王建国"));

        Assert.That(await Relocations(), Is.Empty, "the same name with another representative, and the representative's name with another company name");
    }

    [Test]
    public async Task A_representative_of_the_same_name_whose_ID_number_differs_is_another_person_and_raises_nothing()
    {
        await Apply(Listed("LA-1194"));   // 王建国 with RepRic

        await Apply(Reregistered("ZJ-REG-1", 9401, "皖东建设工程（杭州）有限公司", "王建国", Ric("19850303", "115")));

        Assert.That(await Relocations(), Is.Empty);
    }

    [Test]
    public async Task The_same_representative_by_ID_number_raises_one_alert_not_a_second_by_name()
    {
        await Apply(Listed("LA-1194"));

        await Apply(Reregistered("ZJ-REG-1", 9401, "皖东建设工程（杭州）有限公司", "王建国", RepRic));

        var alert = (await Relocations()).Single();
        Assert.That((alert.Relation, alert.ListingId, alert.MatchScore), Is.EqualTo(("legal-representative", _parentOf["LA-1194"], 1.0)));
        Assert.That(alert.Evidence!.Single().Feature, Is.EqualTo("representative"));
    }

    [Test]
    public async Task A_listed_company_whose_representative_was_named_without_a_number_is_found_by_name_in_the_same_batch_too()
    {
        await Apply(Listed("LA-1194", repRic: null),
            Reregistered("ZJ-REG-1", 9401, "皖东建设工程（杭州）有限公司", "王建国", RepRic));

        var alert = (await Relocations()).Single();
        Assert.That((alert.Relation, alert.ListedHubSubjectId, alert.ListingId),
            Is.EqualTo(("same-name-and-representative", _subjectOf["LA-1194"], _parentOf["LA-1194"])));
    }

    [Test]
    public async Task A_reappearance_of_a_company_whose_listing_has_ended_or_whose_representative_changed_raises_nothing()
    {
        await Apply(Listed("LA-1194"), Removed("LA-1194"));
        await Apply(Listed("LA-2000", uscc: TestIdentifiers.Uscc(9300)) with
        {
            Subject = new SubjectReference { Kind = SubjectKind.Organization, Name = "安徽江淮机电有限公司", Uscc = TestIdentifiers.Uscc(9300) },
        });
        await Apply(Registered("REG-CHANGE", "钱现任", Ric("19820202", "227"), new DateOnly(2026, 8, 1)) with
        {
            Organization = new SubjectReference { Kind = SubjectKind.Organization, Name = "安徽江淮机电有限公司", Uscc = TestIdentifiers.Uscc(9300) },
        });

        await Apply(Reregistered("ZJ-REG-1", 9401, "皖东建设工程（杭州）有限公司", "王建国"),
            Reregistered("ZJ-REG-2", 9402, "浙江江淮机电有限公司", "王建国"));

        Assert.That(await Relocations(), Is.Empty, "the first listing ended; the second company's representative is 钱现任 now");
    }

    [Test]
    public async Task Organisations_stored_before_they_had_a_core_name_key_get_one_from_the_backfill_and_are_found_by_name()
    {
        await Apply(Listed("LA-1194"));
        Assert.That((await Db.OrganizationsByCoreNameAsync("皖东建设工程", 10, CancellationToken.None)).Single().Id, Is.EqualTo(_subjectOf["LA-1194"]),
            "a new organisation is written with its core name");
        await Target.ExecuteAsync("UPDATE subjects SET core_name = NULL", "UPDATE subjects SET core_name = NULL");
        Assert.That(await Db.OrganizationsByCoreNameAsync("皖东建设工程", 10, CancellationToken.None), Is.Empty);

        Assert.That(await Db.BackfillCoreNamesAsync(Hub.Domain.Resolution.OrganizationNames.Core, 1000, CancellationToken.None), Is.EqualTo(1));
        Assert.That(await Db.BackfillCoreNamesAsync(Hub.Domain.Resolution.OrganizationNames.Core, 1000, CancellationToken.None), Is.Zero, "once");

        Assert.That((await Db.OrganizationsByCoreNameAsync("皖东建设工程", 10, CancellationToken.None)).Single().Id, Is.EqualTo(_subjectOf["LA-1194"]));
    }

    [Test]
    public async Task A_dotted_name_stored_before_names_dropped_their_separators_is_found_by_every_spelling_after_the_backfill()
    {
        // one person per way of writing the dot of 买买提·艾力 (or none), stored as an earlier build stored them: the
        // normalised name and the name-with-birth-date key with the dot
        var spellings = NameNormalizer.Separators.Select(c => "买买提" + c + "艾力").ToList();
        var wholes = spellings.Select((_, i) => Ric("19780512", (101 + 2 * i).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        await Apply([.. spellings.Select((name, i) => Person($"P-{i}", wholes[i], name))]);
        foreach (var name in spellings)
        {
            var old = NameNormalizer.Normalize(name, keepSeparators: true);
            var update = $"UPDATE subjects SET normalized_name = '{old}' WHERE display_name = '{name}'; " +
                         $"UPDATE subject_identifiers SET value = '{old}|1978-05-12' WHERE scheme = 'name-birth' AND subject_id IN (SELECT id FROM subjects WHERE display_name = '{name}');";
            await Target.ExecuteAsync(update, update);
        }
        const string dotless = "买买提艾力";
        Assert.That(await Db.PersonsByNameAsync(dotless, 50, CancellationToken.None), Is.Empty, "stored with the dots, found by none but its own spelling");

        var (changed, last) = await Db.BackfillNormalizedNamesAsync(NameNormalizer.Normalize, null, 5, CancellationToken.None);
        Assert.That(changed, Is.EqualTo(5), "a page");
        var total = changed;
        while (true)
        {
            (changed, last) = await Db.BackfillNormalizedNamesAsync(NameNormalizer.Normalize, last, 5, CancellationToken.None);
            if (changed == 0) break;
            total += changed;
        }
        Assert.That(total, Is.EqualTo(spellings.Count), "every separator is one the index of names still to store again knows");
        Assert.That((await Db.BackfillNormalizedNamesAsync(NameNormalizer.Normalize, null, 5, CancellationToken.None)).Count, Is.Zero, "once");

        var subjects = (await SubjectOf([.. spellings.Select((_, i) => $"P-{i}")])).Values.ToHashSet();
        foreach (var spelling in spellings.Append(dotless).Append("买买提 ・ 艾力"))
        {
            var normalized = NameNormalizer.Normalize(spelling);
            Assert.That((await Db.PersonsByNameAsync(normalized, 50, CancellationToken.None)).Select(p => p.Id), Is.EquivalentTo(subjects), spelling);
            Assert.That((await Db.SubjectsByWeakKeyAsync(Hub.Domain.Intake.SubjectKeys.NameBirthScheme,
                Hub.Domain.Intake.SubjectKeys.NameBirthKey(normalized, new DateOnly(1978, 5, 12)), 50, CancellationToken.None)).Select(p => p.Id),
                Is.EquivalentTo(subjects), spelling);
        }

        // and the aggregator links a notice naming one of them by the masked number and another spelling
        await Apply(Person("P-masked", ResidentIdNumber.MaskNumber(wholes[0]), "买买提．艾力"));
        Assert.That(_subjectOf["P-masked"], Is.EqualTo(_subjectOf["P-0"]));
    }
}
