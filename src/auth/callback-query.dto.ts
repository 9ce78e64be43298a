import { IsOptional, IsString, MaxLength } from 'class-validator';

/** What Webex may put on the redirect URI (RFC 6749 §4.1.2 and §4.1.2.1); anything else is dropped. */
export class CallbackQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  code?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  state?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  error?: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  error_description?: string;

  /** RFC 9207: the authorization server's issuer identifier, checked in Login with Webex. */
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  iss?: string;
}
