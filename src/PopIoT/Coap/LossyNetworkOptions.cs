namespace PopIoT.Coap;

/// <summary>How a <see cref="LossyNetwork"/> mistreats datagrams. Probabilities are 0..1, applied per datagram.</summary>
public sealed class LossyNetworkOptions
{
    /// <summary>Seed of the network's random generator: the same seed and the same traffic give the same run.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Probability that a datagram is lost.</summary>
    public double DropRate { get; set; }

    /// <summary>Probability that a delivered datagram arrives twice.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Probability that a datagram is held back by up to <see cref="ReorderDelayMs"/>, so later ones overtake it.</summary>
    public double ReorderRate { get; set; }

    /// <summary>The least one-way delay, in virtual milliseconds.</summary>
    public int MinDelayMs { get; set; } = 1;

    /// <summary>The largest one-way delay (before reordering), in virtual milliseconds.</summary>
    public int MaxDelayMs { get; set; } = 20;

    /// <summary>The largest extra delay of a reordered datagram.</summary>
    public int ReorderDelayMs { get; set; } = 500;
}

/// <summary>What a <see cref="LossyNetwork"/> did so far.</summary>
/// <param name="Sent">Datagrams handed to the network.</param>
/// <param name="Dropped">Datagrams lost.</param>
/// <param name="Duplicated">Extra copies made.</param>
/// <param name="Reordered">Datagrams held back.</param>
/// <param name="Delivered">Datagrams (copies included) handed to a receiver.</param>
public readonly record struct LossyNetworkStatistics(long Sent, long Dropped, long Duplicated, long Reordered, long Delivered);
