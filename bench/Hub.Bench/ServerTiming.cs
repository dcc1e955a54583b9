using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Hub.Bench;

/// <summary>The time each request on the paths <paramref name="counts"/> selects spends in the Hub, from the first
/// middleware to the answer written: what the client sees beyond it is the loopback socket and the client itself.</summary>
internal sealed class ServerTiming(Func<PathString, bool> counts) : IStartupFilter
{
    private readonly List<double> _times = [];

    public List<double> Take()
    {
        lock (_times)
        {
            var taken = _times.ToList();
            _times.Clear();
            return taken;
        }
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, inner) =>
        {
            if (!counts(context.Request.Path))
            {
                await inner(context);
                return;
            }
            var started = Stopwatch.GetTimestamp();
            await inner(context);
            await context.Response.CompleteAsync();
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            lock (_times) _times.Add(ms);
        });
        next(app);
    };
}
