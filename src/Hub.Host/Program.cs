using System.Text.Encodings.Web;
using System.Text.Unicode;
using Hub.Host.Api;
using Hub.Host.Composition;

var builder = WebApplication.CreateBuilder(args);
// names are Chinese: send them as UTF-8 text, not \u escapes
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All));
builder.AddHubIndex()
    .AddHubBus()
    .AddHubAdapters()
    .AddHubHealth();

var app = builder.Build();
app.MapHubHealth();
app.MapSubjectApi();
app.MapCourtAdapterApi();
app.MapOperatorApi();
app.Run();

/// <summary>Entry point; public so tests can host the whole application in-process.</summary>
public partial class Program;
