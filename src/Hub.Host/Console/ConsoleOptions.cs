namespace Hub.Host.OperatorConsole;

/// <summary>Configuration section <c>Hub:Console</c>: where the operator console reads queue figures in server mode.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Hub:Console";

    /// <summary>The RabbitMQ management HTTP API (e.g. <c>http://broker:15672</c>); unset in server mode: the console
    /// says the broker's figures are not configured and shows the Hub's own.</summary>
    public Uri? ManagementUrl { get; set; }

    /// <summary>A user with the <c>monitoring</c> tag (<c>hub-operator</c> in deploy/rabbitmq/definitions.json).</summary>
    public string? ManagementUser { get; set; }

    public string? ManagementPassword { get; set; }

    /// <summary>The virtual host to show; the bus connection's own when not set.</summary>
    public string? ManagementVhost { get; set; }

    /// <summary>One call to the management API: a timeout per attempt, retried once.</summary>
    public TimeSpan ManagementTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most messages of an error queue read for one view (grouped and counted); beyond it the view says how
    /// many it did not read. Replay and discard read as many.</summary>
    public int FailedScanLimit { get; set; } = 10_000;

    /// <summary>How long a read of an error queue waits for the next message before it takes what it has.</summary>
    public TimeSpan FailedScanIdle { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often each Hub process writes its heartbeat row.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A process silent for longer than this is shown as silent (red).</summary>
    public TimeSpan SilentAfter { get; set; } = TimeSpan.FromMinutes(1);
}
