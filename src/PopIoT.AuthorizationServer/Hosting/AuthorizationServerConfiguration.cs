using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace PopIoT.AuthorizationServer.Hosting;

/// <summary>
/// Reads and checks section "As" of the AS's configuration before anything starts, so that a bad value is named with
/// the place it came from (the file, the environment variable, or the command line) instead of failing later.
/// </summary>
public static class AuthorizationServerConfiguration
{
    /// <summary>The section the settings are bound from.</summary>
    public const string Section = "As";

    private static readonly PropertyInfo[] Keys = typeof(AuthorizationServerSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    /// <summary>Binds and checks the settings.</summary>
    /// <param name="configuration">The configuration (the root, so the source of each key can be named).</param>
    /// <returns>The settings.</returns>
    /// <exception cref="AuthorizationServerConfigurationException">An unknown key or a bad value; the message names where it came from.</exception>
    public static AuthorizationServerSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = new AuthorizationServerSettings();
        foreach (IConfigurationSection entry in configuration.GetSection(Section).GetChildren())
        {
            PropertyInfo? property = Array.Find(Keys, p => string.Equals(p.Name, entry.Key, StringComparison.OrdinalIgnoreCase));
            if (property == null)
            {
                throw new AuthorizationServerConfigurationException(
                    "unknown key " + Section + ":" + entry.Key + " in " + Source(configuration, Section + ":" + entry.Key) + " (the keys of \"" + Section + "\" are " + string.Join(", ", Keys.Select(p => p.Name)) + ")");
            }

            // Keys are case-insensitive (an environment variable spells them in capitals); messages use the property's name.
            string key = Section + ":" + property.Name;

            string? text = entry.Value;
            object value;
            try
            {
                value = property.PropertyType == typeof(int)
                    ? int.Parse(text ?? throw new FormatException(), NumberStyles.Integer, CultureInfo.InvariantCulture)
                    : text ?? throw new FormatException();
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new AuthorizationServerConfigurationException(
                    key + " in " + Source(configuration, key) + " must be " + (property.PropertyType == typeof(int) ? "a whole number" : "a string") + ", not " + Shown(text));
            }

            property.SetValue(settings, value);
        }

        try
        {
            settings.Validate();
        }
        catch (ArgumentException e)
        {
            string key = Section + ":" + (Array.Find(Keys, p => e.Message.StartsWith(Section + ":" + p.Name + " ", StringComparison.Ordinal))?.Name ?? string.Empty);
            throw new AuthorizationServerConfigurationException(e.Message + (key.Length > Section.Length + 1 ? " (" + Source(configuration, key) + ")" : string.Empty), e);
        }

        return settings;
    }

    /// <summary>Where the value of <paramref name="key"/> that wins comes from, in words.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <param name="key">A key such as "As:Port".</param>
    /// <returns>"config file '…'", "environment variable POPIOT_AS__PORT", "the command line" or "the defaults".</returns>
    public static string Source(IConfiguration configuration, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (configuration is IConfigurationRoot root)
        {
            // Later providers win, so the last one that has the key gave its value.
            foreach (IConfigurationProvider provider in root.Providers.Reverse())
            {
                if (provider.TryGet(key, out _))
                {
                    return provider switch
                    {
                        JsonConfigurationProvider json => "config file '" + FilePath(json.Source) + "'",
                        EnvironmentVariablesConfigurationProvider => "environment variable POPIOT_" + key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant(),
                        _ => "the command line",
                    };
                }
            }
        }

        return "the defaults";
    }

    /// <summary>The full path of a JSON configuration source.</summary>
    /// <param name="source">The source.</param>
    /// <returns>The path.</returns>
    public static string FilePath(FileConfigurationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.FileProvider is Microsoft.Extensions.FileProviders.PhysicalFileProvider physical
            ? Path.Combine(physical.Root, source.Path ?? string.Empty)
            : source.Path ?? string.Empty;
    }

    private static string Shown(string? text) => text == null ? "a section" : "'" + (text.Length > 40 ? text[..40] + "…" : text) + "'";
}
