using Hub.Storage;
using Microsoft.Extensions.Options;

namespace Hub.Host.Subscribers;

/// <summary>Where a webhook subscriber's events come from, and go back to when an operator sends a dead letter again:
/// its queue on the broker (server mode) or its rows in <c>webhook_deliveries</c> (embedded default).</summary>
public interface IWebhookTransport
{
    /// <summary>Delivers the agency's events one at a time, in order, until cancelled; throws when its source fails
    /// (the dispatcher starts it again after a pause).</summary>
    Task RunAsync(string agency, CancellationToken ct);

    /// <summary>Puts a dead letter back at the end of its agency's line, to be delivered like any other event.</summary>
    Task ResendAsync(WebhookDeadLetterRow letter, CancellationToken ct);
}

/// <summary>
/// Runs one delivery worker per webhook subscriber — one at a time per agency, so its events arrive in order — and
/// starts, stops and restarts them as the subscriptions change (a new URL or secret restarts the agency's worker; the
/// event it was trying waits at the head of its line). Refuses to start when a webhook subscription of the registry file
/// has no secret in configuration.
/// </summary>
public sealed partial class WebhookDispatcher(WebhookTargets targets, IWebhookTransport transport, IOptions<WebhookOptions> options, TimeProvider time,
    ILogger<WebhookDispatcher> log) : BackgroundService
{
    private readonly Dictionary<string, Worker> _workers = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Worker> _stopping = [];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        targets.CheckDeclaredSecrets();
        if (options.Value.Problems().ToList() is { Count: > 0 } problems)
            throw new OptionsValidationException(WebhookOptions.Section, typeof(WebhookOptions), problems.Select(p => $"{WebhookOptions.Section}: {p}"));
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    Reconcile(await targets.RefreshAsync(stoppingToken), stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    LogRefreshFailed(ex);
                }
                await targets.WaitForChangeAsync(options.Value.RefreshInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            foreach (var w in _workers.Values) _stopping.Add(w);
            _workers.Clear();
            foreach (var w in _stopping) await w.Stop.CancelAsync();
            await Task.WhenAll(_stopping.Select(w => w.Run));
            foreach (var w in _stopping) w.Stop.Dispose();
        }
    }

    /// <summary>One worker per webhook subscriber: workers of agencies gone, or whose URL or secret changed, are stopped;
    /// an agency gets a new one once its previous one has ended (never two at once).</summary>
    private void Reconcile(IReadOnlyDictionary<string, WebhookTarget> current, CancellationToken stoppingToken)
    {
        foreach (var (agency, w) in _workers.ToList())
        {
            if (current.TryGetValue(agency, out var t) && t.Url == w.Target.Url && t.Secret == w.Target.Secret && !w.Run.IsCompleted) continue;
            w.Stop.Cancel();
            _workers.Remove(agency);
            _stopping.Add(w);
            LogStopped(agency);
        }
        foreach (var done in _stopping.Where(w => w.Run.IsCompleted).ToList())
        {
            done.Stop.Dispose();
            _stopping.Remove(done);
        }
        foreach (var (agency, target) in current)
        {
            if (_workers.ContainsKey(agency) || _stopping.Any(w => string.Equals(w.Target.Agency, agency, StringComparison.OrdinalIgnoreCase))) continue;
            var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _workers[agency] = new Worker(target, stop, Task.Run(() => WorkAsync(agency, stop.Token), CancellationToken.None));
            LogStarted(agency, target.Url.GetLeftPart(UriPartial.Authority));
        }
    }

    /// <summary>The agency's deliveries, started again with back-off when their source fails (the broker or the index
    /// away); once ended, the dispatcher is woken to start the next worker it may be waiting for.</summary>
    private async Task WorkAsync(string agency, CancellationToken ct)
    {
        try
        {
            for (var failures = 1; !ct.IsCancellationRequested; failures++)
            {
                try
                {
                    await transport.RunAsync(agency, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 500 * Math.Pow(2, Math.Min(failures, 6))));
                    LogWorkerFailed(ex, agency, failures, delay.TotalSeconds);
                    try { await Task.Delay(delay, time, ct); } catch (OperationCanceledException) { return; }
                }
            }
        }
        finally
        {
            targets.Notify();
        }
    }

    private sealed record Worker(WebhookTarget Target, CancellationTokenSource Stop, Task Run);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivering the events of {Agency} to its webhook at {Authority}")]
    private partial void LogStarted(string agency, string authority);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped delivering to the webhook of {Agency} (subscription ended or changed); its undelivered events are kept")]
    private partial void LogStopped(string agency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook deliveries of {Agency} failed ({Failures} in a row); starting again in {DelaySeconds} s")]
    private partial void LogWorkerFailed(Exception ex, string agency, int failures, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the webhook subscriptions failed; trying again at the next refresh")]
    private partial void LogRefreshFailed(Exception ex);
}
