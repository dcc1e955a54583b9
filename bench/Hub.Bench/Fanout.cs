using System.Text.Json;
using Hub.Domain.Catalogue;
using Hub.Domain.Subscriptions;
using Hub.Storage;
using Hub.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Hub.Bench;

/// <summary>
/// `--fanout N`: the ingest benchmark with N subscribers of different filters bound, side by side with the same Hub and
/// no subscriber, in one run. The shipped registry has 5 agencies that may subscribe; the rest are bureaus registered
/// for the benchmark in a replaced agency file (<c>Hub:Catalogue:AgenciesFile</c>, used by both Hub runs). Their
/// subscriptions are declared as data (<c>Hub:Catalogue:SubscriptionsFile</c>), so the Hub binds their queues at start,
/// as a deployment would. <c>--fanout-receiving K</c> (default 5) of them are market regulators whose filters take the
/// court's listings (what the benchmark sends: judgment-defaulter, province 34): each notice's two events are copied to
/// K queues. The others are bound for lists the benchmark never produces (other list types, provinces, ends only).
/// Every queue is consumed during the run, as fast as a consumer can (prefetch 200, an ack per message), as the raw
/// baseline's queue is: subscribers that keep up are the steady state, and a queue left to fill would measure the
/// broker paging a backlog of persistent messages, not the fan-out.
/// </summary>
internal static partial class Bench
{
    /// <summary>A fan-out run's subscribers: how many, and how many receive the benchmark's events.</summary>
    internal sealed record FanoutPlan(int Subscribers, int Receiving)
    {
        /// <summary>Deliveries to subscriber queues per notice: two events (company, legal representative) to each receiving queue.</summary>
        public int CopiesPerNotice => 2 * Receiving;
    }

    static async Task Fanout(List<byte[]> requests, List<byte[]> warmRequests, int n, int warm, int rounds, int envelopeSize, int subscribers, int receiving,
        string[] args)
    {
        var folder = Directory.CreateTempSubdirectory("hub-bench-fanout-");
        try
        {
            var (agencies, subscriptions) = FanoutCatalogue(subscribers, receiving);
            var agenciesFile = Path.Combine(folder.FullName, "agencies.json");
            var noneFile = Path.Combine(folder.FullName, "no-subscriptions.json");
            var fanoutFile = Path.Combine(folder.FullName, "subscriptions.json");
            await File.WriteAllTextAsync(agenciesFile, JsonSerializer.Serialize(new { agencies = agencies.Select(a => new { a.Code, a.Name, a.Kind, a.RegionCode }) }, Json));
            await File.WriteAllTextAsync(noneFile, JsonSerializer.Serialize(new { subscriptions = Array.Empty<object>() }, Json));
            await File.WriteAllTextAsync(fanoutFile, JsonSerializer.Serialize(new { subscriptions }, Json));
            Console.WriteLine($"fan-out: {subscribers} subscribers ({string.Join(", ", subscriptions.Select(s => s.Agency))}); {receiving} of them receive the " +
                              $"court's listings: each notice's 2 events go to {2 * receiving} subscriber queues");
            string[] common = [.. args, "--set", $"Hub:Catalogue:AgenciesFile={agenciesFile}"];
            string[] none = [.. common, "--set", $"Hub:Catalogue:SubscriptionsFile={noneFile}"];
            string[] fanout = [.. common, "--set", $"Hub:Catalogue:SubscriptionsFile={fanoutFile}"];
            var plan = new FanoutPlan(subscribers, receiving);

            var without = new List<double>();
            var with = new List<double>();
            var withoutOut = new List<double>();
            var withOut = new List<double>();
            for (var round = 1; round <= rounds; round++)
            {
                var raw = await RawBaseline(n, warm, envelopeSize);
                Console.WriteLine($"round {round}: raw RabbitMQ.Client       {raw.Rate,10:N0} msg/s; CPU per message: {raw.Cpu}");
                // the two Hub runs take turns going first, so that neither always meets the machine as the other left it
                (double Rate, string Cpu, double OutRate) bare = default, fanned = default;
                foreach (var withSubscribers in round % 2 == 1 ? new[] { false, true } : [true, false])
                {
                    if (withSubscribers)
                    {
                        fanned = await HubEndToEnd(requests, warmRequests, n, warm, fanout, plan);
                        Console.WriteLine($"round {round}: Hub, {subscribers} subscribers     {fanned.Rate,10:N0} notices/s; CPU per notice: {fanned.Cpu}");
                    }
                    else
                    {
                        bare = await HubEndToEnd(requests, warmRequests, n, warm, none);
                        Console.WriteLine($"round {round}: Hub, no subscriber      {bare.Rate,10:N0} notices/s; CPU per notice: {bare.Cpu}");
                    }
                }
                without.Add(bare.Rate / raw.Rate);
                with.Add(fanned.Rate / raw.Rate);
                withoutOut.Add(bare.OutRate / raw.Rate);
                withOut.Add(fanned.OutRate / raw.Rate);
                Console.WriteLine($"  ratios Hub/raw until the index is complete: no subscriber {without[^1]:0.000}, {subscribers} subscribers {with[^1]:0.000} " +
                                  $"(drop {(1 - with[^1] / without[^1]) * 100:0.0}%); until every event is out (and read): {withoutOut[^1]:0.000}, " +
                                  $"{withOut[^1]:0.000} (drop {(1 - withOut[^1] / withoutOut[^1]) * 100:0.0}%)");
            }
            double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
            Console.WriteLine($"median Hub/raw: no subscriber {Median(without):0.000}, {subscribers} subscribers {Median(with):0.000}; the fan-out costs " +
                              $"{(1 - Median(with) / Median(without)) * 100:0.0}% of the ratio (target ≤ 15%); until every event is out (and read): " +
                              $"{Median(withoutOut):0.000} and {Median(withOut):0.000}, {(1 - Median(withOut) / Median(withoutOut)) * 100:0.0}%");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault,
    };

    /// <summary>
    /// The shipped agencies plus bureaus registered for the benchmark (market, food-safety, labour and environment
    /// bureaus of provinces the shipped registry has none of), and <paramref name="subscribers"/> subscriptions:
    /// <paramref name="receiving"/> market regulators with filters that take the court's listings, each a different one,
    /// then bureaus with filters for other lists, provinces or kinds of event. Each is checked against the catalogue by
    /// the Hub at start (it refuses one beyond the agency's lawful scope).
    /// </summary>
    static (List<Agency> Agencies, List<Subscription> Subscriptions) FanoutCatalogue(int subscribers, int receiving)
    {
        if (receiving > subscribers) throw new ArgumentException("--fanout-receiving may not exceed --fanout");
        var shipped = AgencyRegistry.Embedded().All.ToList();
        var agencies = new List<Agency>(shipped);
        string[] provinces = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50",
            "51", "52", "53", "54", "61", "62", "63", "64", "65"];
        var names = new Dictionary<string, string> { ["market"] = "市场监督管理局", ["food-safety"] = "食品安全监督管理部门", ["labour"] = "人力资源和社会保障厅", ["environment"] = "生态环境厅" };
        var prefixes = new Dictionary<string, string> { ["market"] = "MARKET", ["food-safety"] = "FOOD", ["labour"] = "LABOUR", ["environment"] = "ENV" };
        var next = new Dictionary<string, int>();
        // the next agency of a kind: the shipped ones first, then one per province for the benchmark
        Agency Next(string kind)
        {
            var taken = next.GetValueOrDefault(kind);
            var ofKind = shipped.Where(a => a.Kind == kind).ToList();
            next[kind] = taken + 1;
            if (taken < ofKind.Count) return ofKind[taken];
            var province = provinces.Where(p => !agencies.Any(a => a.Kind == kind && a.ProvinceCode == p)).First();
            var agency = new Agency($"{prefixes[kind]}-{province}", $"基准测试{province}{names[kind]}", kind, province + "0000");
            agencies.Add(agency);
            return agency;
        }

        const string Court = "judgment-defaulter";
        string[] ends = [EventKinds.Delisted, EventKinds.Expired];
        string[] listings = [EventKinds.Listed, .. ends];
        // every one receives listed.judgment-defaulter.34, each through a different filter
        SubscriptionFilter[] take =
        [
            new(),
            new() { ListTypes = [Court] },
            new() { Measures = ["serving-as-legal-representative"] },
            new() { Measures = ["consumption-restriction"] },
            new() { ListTypes = [Court], OriginProvinces = ["34"] },
            new() { OriginProvinces = ["32", "33", "34", "35"] },
            new() { EventKinds = listings, ListTypes = [Court] },
            new() { EventKinds = [.. listings, EventKinds.Disputed, EventKinds.DisputeResolved], OriginProvinces = ["34", "36"] },
        ];
        // none receives it: another list, another province, or no listings at all
        (string Kind, SubscriptionFilter Filter)[] miss =
        [
            ("food-safety", new()),
            ("labour", new()),
            ("environment", new()),
            ("market", new() { OriginProvinces = ["31"] }),
            ("food-safety", new() { OriginProvinces = ["34"] }),
            ("labour", new() { EventKinds = listings, OriginProvinces = ["32", "34"] }),
            ("environment", new() { OriginProvinces = ["44"] }),
            ("market", new() { Categories = ["FoodSafety"] }),
            ("food-safety", new() { EventKinds = listings }),
            ("labour", new() { OriginProvinces = ["11", "31"] }),
            ("environment", new() { EventKinds = [.. listings, EventKinds.Disputed] }),
            ("market", new() { EventKinds = ends, ListTypes = [Court] }),
            ("food-safety", new() { OriginProvinces = ["11"] }),
            ("labour", new()),
            ("environment", new() { OriginProvinces = ["32"] }),
            ("market", new() { ListTypes = ["wage-arrears-serious"] }),
        ];
        var subscriptions = new List<Subscription>(subscribers);
        for (var i = 0; i < receiving; i++)
            subscriptions.Add(new Subscription { Agency = Next("market").Code, Filter = take[i % take.Length] });
        for (var i = 0; i < subscribers - receiving; i++)
        {
            var (kind, filter) = miss[i % miss.Length];
            subscriptions.Add(new Subscription { Agency = Next(kind).Code, Filter = filter });
        }
        return (agencies, subscriptions);
    }

    /// <summary>Once the Hub has bound every subscriber queue: a consumer on each, reading as fast as it can.</summary>
    static async Task<SubscriberConsumers> ConsumeSubscribersAsync(WebApplicationFactory<global::Program> hub, RabbitMqTestVhost vhost, FanoutPlan plan)
    {
        var db = hub.Services.GetRequiredService<IndexDatabase>();
        IReadOnlyList<SubscriberQueueRow> queues = [];
        for (var waited = 0; queues.Count < plan.Subscribers; waited++)
        {
            if (waited > 600) throw new TimeoutException($"the Hub bound {queues.Count} of {plan.Subscribers} subscriber queues in a minute");
            await Task.Delay(100);
            queues = await db.SubscriberQueuesAsync(CancellationToken.None);
        }
        return await SubscriberConsumers.StartAsync(vhost.AmqpUri, queues.Select(q => q.Queue).ToList());
    }

    internal sealed class SubscriberConsumers : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly List<IChannel> _channels = [];
        private long _delivered;

        private SubscriberConsumers(IConnection connection) => _connection = connection;

        public long Delivered => Interlocked.Read(ref _delivered);

        public static async Task<SubscriberConsumers> StartAsync(Uri amqp, IReadOnlyList<string> queues)
        {
            var consumers = new SubscriberConsumers(await new ConnectionFactory { Uri = amqp }.CreateConnectionAsync());
            foreach (var queue in queues)
            {
                var channel = await consumers._connection.CreateChannelAsync();
                consumers._channels.Add(channel);
                await channel.BasicQosAsync(0, 200, false);
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += async (_, ea) =>
                {
                    await channel.BasicAckAsync(ea.DeliveryTag, multiple: false);
                    Interlocked.Increment(ref consumers._delivered);
                };
                await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
            }
            return consumers;
        }

        public async Task WaitForAsync(long n)
        {
            for (var waited = 0; Delivered < n; waited++)
            {
                if (waited > 120_000) throw new TimeoutException($"subscribers received {Delivered:N0} of {n:N0} events in 10 minutes");
                await Task.Delay(5);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in _channels) await c.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
