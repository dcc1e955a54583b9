using System.Text.Encodings.Web;
using Hub.Host.Api;
using Hub.Host.Composition;
using Hub.Host.Security;

var builder = WebApplication.CreateBuilder(args);
// names are Chinese: send them as UTF-8 text, not \u escapes; and the API's JSON is never embedded in HTML, so
// apostrophes in error details stay apostrophes
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
builder.AddHubIndex()
    .AddHubBus()
    .AddHubAdapters()
    .AddHubHealth();
builder.AddHubSecurity();

var app = builder.Build();
app.UseHubSecurity();
app.MapHubHealth();
app.MapSubjectApi();
app.MapCourtAdapterApi();
app.MapOperatorApi();
app.Run();

/// <summary>Entry point; public so tests can host the whole application in-process.</summary>
public partial class Program;
