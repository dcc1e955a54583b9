using Hub.Host.Api;
using Hub.Host.Composition;
using Hub.Host.Metrics;
using Hub.Host.OperatorConsole;
using Hub.Host.Security;
using Hub.Host.Subscribers;

var builder = WebApplication.CreateBuilder(args);
var hasIndex = IndexRegistration.HasIndex(builder.Configuration);
builder.AddHubHttp();
builder.AddHubCatalogue();
if (hasIndex) builder.AddHubIndex();
builder.AddHubBus()
    .AddHubAdapters()
    .AddHubHealth();
if (hasIndex) builder.AddHubSubscribers();
if (hasIndex) builder.AddHubConsole();
builder.AddHubSecurity();
builder.AddHubMetrics();

var app = builder.Build();
app.UseHubHttp();
app.UseHubSecurity();
app.MapHubHealth();
app.MapHubMetrics();
app.MapHubOpenApi();
app.MapCallerApi();
app.MapCourtAdapterApi();
if (hasIndex)
{
    app.MapSubjectApi();
    app.MapCheckApi();
    app.MapOperatorApi();
    app.MapSubscriptionApi();
    app.MapReceiptApi();
    app.MapEntityApi();
    app.MapWebhookApi();
    app.MapConsoleApi();
    app.MapHubConsole();
}
app.Run();

/// <summary>Entry point; public so tests can host the whole application in-process.</summary>
public partial class Program;
