namespace PopIoT.Core
{
    /// <summary>Facts about the portable core.</summary>
    public static class CoreInfo
    {
        /// <summary>The version of the PopIoT wire formats and APIs implemented by this core.</summary>
        public const string Version = "0.1.0";
    }
}
