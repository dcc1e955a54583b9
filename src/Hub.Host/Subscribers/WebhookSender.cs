using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Hub.Domain.Subscriptions;
using Hub.Storage;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Hub.Host.Subscribers;

/// <summary>Configuration section <c>Hub:Subscribers:Webhooks</c>: how the Hub retries a webhook that does not take an event.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Hub:Subscribers:Webhooks";

    /// <summary>The delay before the first retry; each further one doubles it (with ±20 % jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after its first attempt an event is retried before it becomes a dead letter. Long, so that an
    /// endpoint down for hours gets everything, in order, when it returns; meanwhile the agency's later events wait.</summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>An attempt that has no answer (status line and headers) within this is a failed attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Server mode: the longest the Hub holds an event unacknowledged while retrying it. Then it hands the event
    /// back to the head of the agency's queue and takes it again, so that the broker's <c>consumer_timeout</c> (30 minutes
    /// by default) never closes the channel. Must be more than <see cref="MaxRetryDelay"/>, and with
    /// <see cref="AttemptTimeout"/> less than the broker's <c>consumer_timeout</c>.</summary>
    public TimeSpan HoldLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the Hub reads the webhook subscriptions again (those changed by another Hub process; changes
    /// made through this process's API apply at once).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Embedded default: how often an idle agency's queue of deliveries is looked at besides being woken.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    internal IEnumerable<string> Problems()
    {
        if (FirstRetryDelay <= TimeSpan.Zero) yield return "FirstRetryDelay must be positive";
        if (MaxRetryDelay < FirstRetryDelay) yield return "MaxRetryDelay must be at least FirstRetryDelay";
        if (AttemptTimeout <= TimeSpan.Zero) yield return "AttemptTimeout must be positive";
        if (RetryWindow <= TimeSpan.Zero) yield return "RetryWindow must be positive";
        if (HoldLimit <= MaxRetryDelay) yield return "HoldLimit must be more than MaxRetryDelay";
        if (RefreshInterval <= TimeSpan.Zero || PollInterval <= TimeSpan.Zero) yield return "RefreshInterval and PollInterval must be positive";
    }
}

/// <summary>A webhook subscriber: its subscription, where its events go and the secret that signs them.</summary>
public sealed record WebhookTarget(ResolvedSubscription Subscription, Uri Url, string Secret)
{
    public string Agency => Subscription.Agency.Code;
}

/// <summary>One event on its way to a webhook: the body exactly as published on the broker (the bytes POSTed and
/// signed), its id, contract URN, kind and routing key.</summary>
public sealed record WebhookMessage(string EventId, string EventType, string EventKind, string RoutingKey, byte[] Body);

/// <summary>Where the delivery of one event stands: attempts so far, since when, and the last answer. Kept by the caller
/// between calls (in memory in server mode, in the delivery's row on the embedded default).</summary>
public sealed class WebhookAttempts(string eventId)
{
    public string EventId { get; } = eventId;
    public int Attempts { get; set; }
    public DateTimeOffset? FirstAttemptAt { get; set; }

    /// <summary>Set when a delivery was postponed: not to be tried before then.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public int? LastStatus { get; set; }
    public string LastError { get; set; } = "";
}

public enum WebhookOutcome
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>The receiver refused the event for good (a 4xx other than 408 and 429, or a redirect): dead letter.</summary>
    Refused,

    /// <summary>Still failing when the retry window closed: dead letter.</summary>
    Exhausted,

    /// <summary>Still failing when the hold limit came (server mode): hand the event back and try again at
    /// <see cref="WebhookAttempts.NextAttemptAt"/>.</summary>
    Postponed,
}

/// <summary>
/// POSTs one event to a webhook subscriber, signed, with retries: the code both delivery paths share (the agency's queue
/// on the broker in server mode, <c>webhook_deliveries</c> on the embedded default). The body goes unchanged, with
/// <c>Content-Type: application/json</c> and the headers <c>X-Hub-Signature-256</c> (<c>sha256=</c> and the lower-case hex
/// HMAC-SHA256 of the body, keyed with the UTF-8 bytes of the agency's secret), <c>X-Hub-Event-Id</c>,
/// <c>X-Hub-Event-Type</c> (the contract URN), <c>X-Hub-Event-Kind</c>, <c>X-Hub-Delivery-Attempt</c> (from 1) and
/// <c>X-Hub-Timestamp</c> (Unix seconds of the attempt). Retried by a Polly pipeline: a timeout per attempt, and
/// exponential back-off with jitter while the answer is transient (no answer, 408, 429, 5xx) and the retry window open.
/// Neither the body nor the secret is ever logged: bodies are data about people.
/// </summary>
public sealed partial class WebhookSender
{
    public const string HttpClientName = "hub-webhooks";

    private static readonly ResiliencePropertyKey<Run> RunKey = new("hub.webhook-run");

    private readonly IHttpClientFactory _clients;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookSender> _log;
    private readonly ResiliencePipeline<Answer> _pipeline;

    public WebhookSender(IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookSender> log)
    {
        _clients = clients;
        _options = options.Value;
        _time = time;
        _log = log;
        _pipeline = new ResiliencePipelineBuilder<Answer> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<Answer>
            {
                MaxRetryAttempts = int.MaxValue, // bounded by the retry window (and the hold limit), in ShouldHandle
                ShouldHandle = args => ValueTask.FromResult(args.Context.Properties.GetValue(RunKey, null!).ShouldRetry(args.Outcome, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Context.Properties.GetValue(RunKey, null!).NextDelay),
                OnRetry = args => args.Context.Properties.GetValue(RunKey, null!).OnRetryAsync(args.Context.CancellationToken),
            })
            .AddTimeout(_options.AttemptTimeout)
            .Build();
    }

    /// <summary>The value of <c>X-Hub-Signature-256</c> for <paramref name="body"/>.</summary>
    public static string Signature(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>A new secret: 32 random bytes, as 64 lower-case hex characters (the key is their UTF-8 text).</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Delivers <paramref name="message"/>, retrying until it is taken, refused or the retry window closes — or, when
    /// <paramref name="holdUntil"/> is given, until the next retry would come after it (<see cref="WebhookOutcome.Postponed"/>).
    /// <paramref name="state"/> carries the attempts across calls; <paramref name="afterFailedAttempt"/> is told of each
    /// failed attempt that will be retried. Cancellation throws, the event undelivered.
    /// </summary>
    public async Task<WebhookOutcome> DeliverAsync(WebhookTarget target, WebhookMessage message, WebhookAttempts state, DateTimeOffset? holdUntil,
        Func<WebhookAttempts, CancellationToken, Task>? afterFailedAttempt, CancellationToken ct)
    {
        if (state.NextAttemptAt is { } next && next - _time.GetUtcNow() is { Ticks: > 0 } wait)
            await Task.Delay(wait, _time, ct);
        state.NextAttemptAt = null;
        var run = new Run(this, target, message, state, holdUntil, afterFailedAttempt);
        var context = ResilienceContextPool.Shared.Get(ct);
        Outcome<Answer> outcome;
        try
        {
            context.Properties.Set(RunKey, run);
            outcome = await _pipeline.ExecuteOutcomeAsync(static (ctx, r) => r.AttemptAsync(ctx.CancellationToken), context, run);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
        if (outcome.Result is { IsSuccess: true })
        {
            LogDelivered(message.EventId, target.Agency, state.Attempts);
            return WebhookOutcome.Delivered;
        }
        ct.ThrowIfCancellationRequested();
        if (run.Postponed)
        {
            LogPostponed(target.Agency, message.EventId, state.Attempts, state.LastError, state.NextAttemptAt);
            return WebhookOutcome.Postponed;
        }
        var refused = outcome.Result is { IsTransient: false };
        LogDeadLetter(target.Agency, message.EventId, state.Attempts, state.LastError, refused ? "refused" : "retry window closed");
        return refused ? WebhookOutcome.Refused : WebhookOutcome.Exhausted;
    }

    /// <summary>The dead letter of a delivery that failed for good.</summary>
    public WebhookDeadLetterRow DeadLetter(string agency, WebhookMessage message, WebhookAttempts state) => new()
    {
        Id = Guid.CreateVersion7(_time.GetUtcNow()).ToString("N"), AgencyCode = agency, EventId = message.EventId, EventType = message.EventType,
        EventKind = message.EventKind, RoutingKey = message.RoutingKey, Body = Encoding.UTF8.GetString(message.Body), Attempts = state.Attempts,
        LastStatus = state.LastStatus, LastError = state.LastError, FailedAt = _time.GetUtcNow(),
    };

    /// <summary>The delay before retry number <paramref name="attempts"/> (1: after the first attempt): exponential from
    /// <see cref="WebhookOptions.FirstRetryDelay"/>, ±20 % jitter, capped at <see cref="WebhookOptions.MaxRetryDelay"/>.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var exponential = _options.FirstRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var jittered = exponential * (0.8 + 0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Min(jittered, _options.MaxRetryDelay.TotalMilliseconds));
    }

    /// <summary>An answer: the status, or none (no connection, a broken one) and why.</summary>
    private sealed record Answer(int? Status, string Error)
    {
        public bool IsSuccess => Status is >= 200 and < 300;

        /// <summary>Worth trying again: no answer, 408, 429 or a 5xx. A redirect is not followed (a POST to wherever it
        /// points, perhaps not HTTPS) and, like every other 4xx, refuses the event.</summary>
        public bool IsTransient => Status is null or 408 or 429 or >= 500;
    }

    /// <summary>One call of <see cref="DeliverAsync"/>: what the pipeline's callbacks share.</summary>
    private sealed class Run(WebhookSender sender, WebhookTarget target, WebhookMessage message, WebhookAttempts state, DateTimeOffset? holdUntil,
        Func<WebhookAttempts, CancellationToken, Task>? afterFailedAttempt)
    {
        public TimeSpan NextDelay { get; private set; }
        public bool Postponed { get; private set; }

        public async ValueTask<Outcome<Answer>> AttemptAsync(CancellationToken ct)
        {
            var now = sender._time.GetUtcNow();
            state.Attempts++;
            state.FirstAttemptAt ??= now;
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(message.Body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-Hub-Signature-256", Signature(target.Secret, message.Body));
            request.Headers.Add("X-Hub-Event-Id", message.EventId);
            request.Headers.Add("X-Hub-Event-Type", message.EventType);
            request.Headers.Add("X-Hub-Event-Kind", message.EventKind);
            request.Headers.Add("X-Hub-Delivery-Attempt", state.Attempts.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Hub-Timestamp", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            try
            {
                using var client = sender._clients.CreateClient(HttpClientName);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                var status = (int)response.StatusCode;
                return Outcome.FromResult(new Answer(status, $"HTTP {status}{(response.ReasonPhrase is { Length: > 0 } r ? " " + r : "")}"));
            }
            catch (HttpRequestException ex) when (!ct.IsCancellationRequested)
            {
                // the message names the host and port at most (connection refused, name not resolved, TLS), never the body
                return Outcome.FromResult(new Answer(null, $"no answer: {ex.HttpRequestError}: {ex.InnerException?.Message ?? ex.Message}"));
            }
        }

        /// <summary>After each attempt: records the answer, and says whether to retry — a transient failure while the retry
        /// window is open and the next attempt comes before the hold limit. Sets the delay the retry waits.</summary>
        public bool ShouldRetry(Outcome<Answer> outcome, CancellationToken ct)
        {
            if (outcome.Result is { } answer)
            {
                state.LastStatus = answer.Status;
                state.LastError = answer.IsSuccess ? "" : answer.Error;
                if (!answer.IsTransient) return false;
            }
            else if (outcome.Exception is OperationCanceledException && ct.IsCancellationRequested) return false;
            else
            {
                state.LastStatus = null;
                state.LastError = outcome.Exception is TimeoutRejectedException
                    ? $"no answer within {sender._options.AttemptTimeout.TotalSeconds:0.###} s"
                    : $"no answer: {outcome.Exception?.GetType().Name}";
            }
            var now = sender._time.GetUtcNow();
            var delay = sender.Backoff(state.Attempts);
            if (now + delay > (state.FirstAttemptAt ?? now) + sender._options.RetryWindow) return false;
            if (holdUntil is { } until && now + delay > until)
            {
                Postponed = true;
                state.NextAttemptAt = now + delay;
                return false;
            }
            NextDelay = delay;
            return true;
        }

        public async ValueTask OnRetryAsync(CancellationToken ct)
        {
            sender.LogRetrying(target.Agency, message.EventId, state.Attempts, state.LastError, NextDelay.TotalSeconds);
            if (afterFailedAttempt is not null) await afterFailedAttempt(state, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Event {EventId} delivered to the webhook of {Agency} (attempt {Attempts})")]
    private partial void LogDelivered(string eventId, string agency, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "The webhook of {Agency} did not take event {EventId} (attempt {Attempts}: {Error}); retrying in {DelaySeconds:0.#} s, the agency's later events waiting")]
    private partial void LogRetrying(string agency, string eventId, int attempts, string error, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The webhook of {Agency} still does not take event {EventId} after {Attempts} attempts ({Error}); handed back to the head of its queue, next attempt at {NextAttemptAt}")]
    private partial void LogPostponed(string agency, string eventId, int attempts, string error, DateTimeOffset? nextAttemptAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} for the webhook of {Agency} is a dead letter after {Attempts} attempts ({Error}; {Why}); the agency's later events go on")]
    private partial void LogDeadLetter(string agency, string eventId, int attempts, string error, string why);
}
