using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace PopIoT.AuthorizationServer.Hosting;

/// <summary>
/// Builds the AS host. Configuration, later sources winning: the defaults, the section "As" of an optional JSON file,
/// environment variables with the prefix POPIOT_ (e.g. POPIOT_AS__PORT=5690, POPIOT_AS__DATABASE=/var/lib/popiot/as.db),
/// then explicit overrides (the options given on the command line, and only those).
/// </summary>
public static class AuthorizationServerHost
{
    /// <summary>Creates the host builder with the AS service registered.</summary>
    /// <param name="jsonFile">An optional JSON configuration file, or null.</param>
    /// <param name="overrides">Settings that win over the file and the environment (keys like "As:Port").</param>
    /// <returns>The builder; Build() and run it.</returns>
    /// <exception cref="AuthorizationServerConfigurationException">The file is missing or not JSON.</exception>
    public static HostApplicationBuilder CreateBuilder(string? jsonFile, IDictionary<string, string?>? overrides = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (jsonFile != null)
        {
            string path = Path.GetFullPath(jsonFile);
            if (!File.Exists(path))
            {
                throw new AuthorizationServerConfigurationException("config file '" + path + "' does not exist");
            }

            try
            {
                builder.Configuration.AddJsonFile(path, optional: false);
            }
            catch (InvalidDataException e)
            {
                throw new AuthorizationServerConfigurationException("config file '" + path + "' is not a JSON object: " + (e.InnerException ?? e).Message, e);
            }
        }

        builder.Configuration.AddEnvironmentVariables("POPIOT_");
        if (overrides != null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        // Logs go to standard error, one line each (UTC time, level, short category: ShortLogLine); levels from the "Logging" section (never key material, see TokenEndpoint).
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddConsole(o => o.FormatterName = ShortLineConsoleFormatter.FormatterName);
        builder.Logging.AddConsoleFormatter<ShortLineConsoleFormatter, ConsoleFormatterOptions>();
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<AuthorizationServerSettings>(builder.Configuration.GetSection("As"));
        builder.Services.AddSingleton<AuthorizationServerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuthorizationServerService>());
        return builder;
    }
}
