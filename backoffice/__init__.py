"""Back-office portal for an internet wealth-management platform: the application core."""
