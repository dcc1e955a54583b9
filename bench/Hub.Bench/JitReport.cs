using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Hub.Bench;

/// <summary>Diagnostic (HUB_BENCH_JIT=1): which methods the runtime compiles during a phase, by namespace.</summary>
internal sealed class JitReport : EventListener
{
    private readonly ConcurrentDictionary<string, int> _counts = new();
    public volatile bool On;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!On || e.EventName != "MethodLoadVerbose_V2" && e.EventName != "MethodLoadVerbose_V1" && e.EventName != "MethodLoadVerbose") return;
        var ns = e.Payload?[e.PayloadNames!.IndexOf("MethodNamespace")]?.ToString() ?? "?";
        var name = e.Payload?[e.PayloadNames!.IndexOf("MethodName")]?.ToString() ?? "?";
        var key = ns.Length > 90 ? ns[..90] : ns;
        _counts.AddOrUpdate(key + " :: " + name, 1, (_, c) => c + 1);
    }

    public void Print()
    {
        foreach (var (k, v) in _counts.OrderByDescending(kv => kv.Value).Take(25)) Console.WriteLine($"    {v,6}  {k}");
        var byNs = _counts.GroupBy(kv => kv.Key[..kv.Key.IndexOf(" :: ", StringComparison.Ordinal)].Split('`')[0])
            .Select(g => (g.Key, g.Sum(x => x.Value))).OrderByDescending(x => x.Item2).Take(15);
        Console.WriteLine("  by type:");
        foreach (var (k, v) in byNs) Console.WriteLine($"    {v,6}  {k}");
        _counts.Clear();
    }
}
