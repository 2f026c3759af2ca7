"""Day-2 operations on a deployed service: `status` (is every region as planned?) and `smoke`
(does every region answer?). Reads AWS with botocore and credentials from the environment; imports
only `config`, so it runs anywhere the configuration file is, without synthesizing."""
